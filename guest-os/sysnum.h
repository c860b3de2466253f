// guest-os/sysnum.h: system call numbers, shared by the kernel
// (guest-os/syscall.c) and the user library (guest-os/user/usys.S).
//
// The calling convention: a7 = the number, a0..a5 = the arguments,
// `ecall`; the result comes back in a0, -1 for an error.
#ifndef GUEST_OS_SYSNUM_H
#define GUEST_OS_SYSNUM_H

#define SYS_fork      1    // int fork(void)
#define SYS_exit      2    // void exit(int status)
#define SYS_wait      3    // int wait(int *status)
#define SYS_kill      4    // int kill(int pid)
#define SYS_getpid    5    // int getpid(void)
#define SYS_sbrk      6    // void *sbrk(long delta)
#define SYS_sleep     7    // int sleep(long ticks)
#define SYS_uptime    8    // long uptime(void): ticks since boot
#define SYS_read      9    // long read(int fd, void *buf, long n)
#define SYS_write     10   // long write(int fd, const void *buf, long n)
#define SYS_exec      11   // int exec(const char *path, char **argv)
#define SYS_poweroff  12   // int poweroff(int status): init only
#define SYS_open      13   // int open(const char *path, int flags)
#define SYS_close     14   // int close(int fd)
#define SYS_dup       15   // int dup(int fd)
#define SYS_fstat     16   // int fstat(int fd, struct stat *st)
#define SYS_mkdir     17   // int mkdir(const char *path)
#define SYS_unlink    18   // int unlink(const char *path)
#define SYS_link      19   // int link(const char *old, const char *new)
#define SYS_chdir     20   // int chdir(const char *path)
#define SYS_pipe      21   // int pipe(int fds[2]): fds[0] reads, [1] writes
#define SYS_trywait   22   // int trywait(int *status): wait, or 0 at once
#define SYS_timebase  23   // long timebase(void): rdtime ticks a second

#define NSYSCALLS     24

#endif
