// guest-os/pipe.h: pipes: a byte stream from one process to another.
//
// pipe() makes two open files: a read end and a write end, which fork
// hands to children like any other. Bytes written wait in a kernel buffer
// of PIPE_SIZE bytes until read. A reader with nothing to read sleeps
// until a writer writes, or until no write end is left open (then read
// returns 0, end of file); a writer with no room sleeps until a reader
// reads, and gets -1 if no read end is left open.
#ifndef GUEST_OS_PIPE_H
#define GUEST_OS_PIPE_H

#include "kernel/types.h"

struct file;
struct pipe;

// A new pipe, with its read end in *rf and its write end in *wf. 0, or
// -1 when out of memory or of open files.
int pipe_create(struct file **rf, struct file **wf);

// Close one end of p (writer: the write end). The pipe goes away with
// its last end.
void pipe_close(struct pipe *p, bool writer);

// read() and write() on the pipe, with a user buffer of the calling
// process: the bytes moved, or -1 (bad buffer, killed, or for write, no
// reader left).
int64_t pipe_read(struct pipe *p, uint64_t uva, uint64_t n);
int64_t pipe_write(struct pipe *p, uint64_t uva, uint64_t n);

// Bytes waiting to be read (fstat's size).
uint64_t pipe_buffered(struct pipe *p);

#endif
