// guest-os/syscall.c: the system call table (see guest-os/syscall.h and
// the numbers in guest-os/sysnum.h).
#include "guest-os/proc.h"
#include "guest-os/syscall.h"
#include "guest-os/sysnum.h"
#include "kernel/printf.h"

// One row per system call number; adding a call is adding a row.
static int64_t (*const table[NSYSCALLS])(struct proc *) = {
    [SYS_fork] = sys_fork,         [SYS_exit] = sys_exit,
    [SYS_wait] = sys_wait,         [SYS_kill] = sys_kill,
    [SYS_getpid] = sys_getpid,     [SYS_sbrk] = sys_sbrk,
    [SYS_sleep] = sys_sleep,       [SYS_uptime] = sys_uptime,
    [SYS_read] = sys_read,         [SYS_write] = sys_write,
    [SYS_exec] = sys_exec,         [SYS_poweroff] = sys_poweroff,
    [SYS_open] = sys_open,         [SYS_close] = sys_close,
    [SYS_dup] = sys_dup,           [SYS_fstat] = sys_fstat,
    [SYS_mkdir] = sys_mkdir,       [SYS_unlink] = sys_unlink,
    [SYS_link] = sys_link,         [SYS_chdir] = sys_chdir,
    [SYS_pipe] = sys_pipe,         [SYS_trywait] = sys_trywait,
    [SYS_timebase] = sys_timebase,
};

uint64_t syscall_arg(struct proc *p, int n) { return p->tf.x[REG_A0 + n]; }

void syscall_dispatch(struct proc *p) {
  uint64_t num = p->tf.x[REG_A7];
  int64_t ret = -1;
  if (num < NSYSCALLS && table[num] != NULL)
    ret = table[num](p);
  else
    printf("guest-os: pid %d (%s): unknown system call %lu\n", p->pid,
           p->name, num);
  p->tf.x[REG_A0] = (uint64_t)ret;
}
