// guest-os/file.h: open files.
//
// What a file descriptor points at. Three kinds: the console, one end of
// a pipe, or an inode (a file or a directory on the disk) with an offset
// where the next read or write goes. Descriptors are per process (struct
// proc's files[]); open files are shared: dup and fork make a second
// descriptor for the same open file, offset and all, and the file lives
// until the last descriptor that points at it is closed.
//
//   process A  fd 0 1 2 3 ----+
//                             +--> struct file --> struct inode
//   process B  fd 0 1 2 3 ----+    (offset 512)    (inode 7)
//   (its child, after fork)
#ifndef GUEST_OS_FILE_H
#define GUEST_OS_FILE_H

#include "kernel/types.h"

enum file_kind { FILE_NONE, FILE_CONSOLE, FILE_PIPE, FILE_INODE };

struct file {
  int refs;                  // (files lock) descriptors; 0: a free slot
  enum file_kind kind;       // the rest is set once, at open
  bool readable, writable;
  struct pipe *pipe;         // FILE_PIPE
  struct inode *ip;          // FILE_INODE
  uint64_t off;              // FILE_INODE: (ip's lock) the next byte
};

// A free open file, with one reference and kind FILE_NONE, for the
// caller to fill in; NULL when all NFILE are in use.
struct file *file_alloc(void);

// A new open file for the console, readable and writable; NULL if none.
struct file *file_console(void);

// One more descriptor points at f; returns f.
struct file *file_dup(struct file *f);

// One descriptor less: the last one closes the file (and, for an inode,
// drops its reference in a transaction of its own).
void file_close(struct file *f);

// read() and write() through f, with a user buffer of the calling
// process. The bytes moved, or -1 (f not open that way, a bad buffer).
int64_t file_read(struct file *f, uint64_t uva, uint64_t n);
int64_t file_write(struct file *f, uint64_t uva, uint64_t n);

// fstat(): fill a struct stat (guest-os/stat.h) at user address uva. 0,
// or -1 for a bad address.
int file_stat(struct file *f, uint64_t uva);

#endif
