// guest-os/syscall.h: system calls: from an ecall to the kernel function.
#ifndef GUEST_OS_SYSCALL_H
#define GUEST_OS_SYSCALL_H

#include "kernel/types.h"

struct proc;

// Run the system call p asked for (number in a7, arguments in a0..a5 of
// its trap frame) and put the result in its a0. An unknown number is an
// error (-1), reported on the console, not fatal.
void syscall_dispatch(struct proc *p);

// Argument n (0..5) of p's current system call, as the caller wants it.
uint64_t syscall_arg(struct proc *p, int n);

// The system calls, grouped by what they touch.
int64_t sys_fork(struct proc *p);
int64_t sys_exit(struct proc *p);
int64_t sys_wait(struct proc *p);
int64_t sys_trywait(struct proc *p);
int64_t sys_kill(struct proc *p);
int64_t sys_getpid(struct proc *p);
int64_t sys_sbrk(struct proc *p);
int64_t sys_sleep(struct proc *p);
int64_t sys_uptime(struct proc *p);
int64_t sys_timebase(struct proc *p);
int64_t sys_exec(struct proc *p);
int64_t sys_poweroff(struct proc *p);
int64_t sys_read(struct proc *p);
int64_t sys_write(struct proc *p);
int64_t sys_open(struct proc *p);
int64_t sys_close(struct proc *p);
int64_t sys_dup(struct proc *p);
int64_t sys_fstat(struct proc *p);
int64_t sys_mkdir(struct proc *p);
int64_t sys_unlink(struct proc *p);
int64_t sys_link(struct proc *p);
int64_t sys_chdir(struct proc *p);
int64_t sys_pipe(struct proc *p);

#endif
