// guest-os/tty.h: the console as processes see it: one kind of open file
// (guest-os/file.h), which descriptors 0, 1 and 2 start as.
//
// Input is cooked a line at a time, as on a Unix terminal: typed bytes
// are echoed and collected into a line, which the user can edit
// (backspace, Ctrl-U), and read() sees nothing until Enter (or Ctrl-D)
// ends the line. Ctrl-D on an empty line reads as end of file (0 bytes).
#ifndef GUEST_OS_TTY_H
#define GUEST_OS_TTY_H

#include "kernel/types.h"

struct proc;

// A byte from the UART (interrupt time).
void tty_input(int c);

// read() and write() on the console, with a user buffer. They return the
// byte count, or -1 for a bad buffer (or, for read, a kill while waiting).
int64_t tty_read(struct proc *p, uint64_t uva, uint64_t n);
int64_t tty_write(struct proc *p, uint64_t uva, uint64_t n);

#endif
