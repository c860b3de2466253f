// guest-os/sysio.c: read and write. Until the file system comes, the
// only files are descriptors 0, 1 and 2, and all three are the console.
#include "guest-os/proc.h"
#include "guest-os/syscall.h"
#include "guest-os/tty.h"

// Is fd an open file descriptor?
static bool fd_ok(int64_t fd) { return fd >= 0 && fd <= 2; }

int64_t sys_read(struct proc *p) {
  int64_t fd = (int64_t)syscall_arg(p, 0), n = (int64_t)syscall_arg(p, 2);
  if (!fd_ok(fd) || n < 0)
    return -1;
  return tty_read(p, syscall_arg(p, 1), (uint64_t)n);
}

int64_t sys_write(struct proc *p) {
  int64_t fd = (int64_t)syscall_arg(p, 0), n = (int64_t)syscall_arg(p, 2);
  if (!fd_ok(fd) || n < 0)
    return -1;
  if (n == 0)
    return 0;
  return tty_write(p, syscall_arg(p, 1), (uint64_t)n);
}
