// guest-os/sysproc.c: the system calls about processes (see
// guest-os/sysnum.h for their C prototypes in user space).
#include "guest-os/disk.h"
#include "guest-os/exec.h"
#include "guest-os/hart.h"
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "guest-os/proc.h"
#include "guest-os/syscall.h"
#include "guest-os/timer.h"
#include "kernel/printf.h"
#include "kernel/sbi.h"

int64_t sys_fork(struct proc *p) { return proc_fork(); }

int64_t sys_exit(struct proc *p) { proc_exit((int)syscall_arg(p, 0)); }

int64_t sys_wait(struct proc *p) {
  return proc_wait(syscall_arg(p, 0), true);
}

int64_t sys_trywait(struct proc *p) {
  return proc_wait(syscall_arg(p, 0), false);
}

int64_t sys_kill(struct proc *p) { return proc_kill((int)syscall_arg(p, 0)); }

int64_t sys_getpid(struct proc *p) { return p->pid; }

int64_t sys_sbrk(struct proc *p) {
  return as_sbrk(&p->as, (int64_t)syscall_arg(p, 0));
}

int64_t sys_sleep(struct proc *p) {
  int64_t n = (int64_t)syscall_arg(p, 0);
  if (n < 0)
    return -1;
  return timer_sleep((uint64_t)n);
}

int64_t sys_uptime(struct proc *p) { return (int64_t)timer_ticks(); }

// The rate of the time CSR, which user programs read themselves
// (scounteren.TM, guest-os/trap.c): with it they time in microseconds.
int64_t sys_timebase(struct proc *p) { return (int64_t)machine.timebase; }

// The argument strings of one exec fill one page exactly.
_Static_assert(MAX_ARGS * MAX_ARGLEN == PAGE_SIZE, "exec's argument page");

// Copy argv (a user array of user string pointers, ended by 0) into
// kernel strings in `page`, and set argv_out. 0, or -1 for a bad pointer
// or too many or too long arguments.
static int copy_argv(struct proc *p, uint64_t uva, char *page,
                     char *argv_out[MAX_ARGS + 1]) {
  for (int i = 0;; i++) {
    uint64_t ptr;
    if (copy_from_user(&p->as, &ptr, uva + i * sizeof(ptr), sizeof(ptr)) < 0)
      return -1;
    if (ptr == 0) {
      argv_out[i] = NULL;
      return 0;
    }
    if (i == MAX_ARGS)
      return -1;
    argv_out[i] = page + i * MAX_ARGLEN;
    if (copy_string_from_user(&p->as, argv_out[i], ptr, MAX_ARGLEN) < 0)
      return -1;
  }
}

int64_t sys_exec(struct proc *p) {
  char name[MAX_ARGLEN];
  char *argv[MAX_ARGS + 1];
  if (copy_string_from_user(&p->as, name, syscall_arg(p, 0), sizeof(name)) < 0)
    return -1;
  uint64_t page = page_alloc();
  if (page == 0)
    return -1;
  int ret = -1;
  if (copy_argv(p, syscall_arg(p, 1), (char *)page, argv) == 0)
    ret = exec_program(p, name, argv);
  page_free(page);
  return ret;
}

// Power the machine off (SBI SRST, SBI spec chapter 10), with the
// "system failure" reason when status is not 0. Only init may: it is the
// one that knows the run is over.
int64_t sys_poweroff(struct proc *p) {
  if (p->pid != 1)
    return -1;
  int status = (int)syscall_arg(p, 0);
  harts_print_switches();
  disk_print_stats();
  page_print_stats();
  printf("guest-os: power off\n");
  sbi_system_reset(SBI_RESET_SHUTDOWN, status == 0 ? SBI_RESET_REASON_NONE
                                                   : SBI_RESET_REASON_FAILURE);
  return -1;                           // the firmware refused
}
