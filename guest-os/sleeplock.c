// guest-os/sleeplock.c: locks whose waiters sleep (see
// guest-os/sleeplock.h).
#include "guest-os/proc.h"
#include "guest-os/sleeplock.h"
#include "kernel/panic.h"

void sleeplock_init(struct sleeplock *l, const char *name) {
  spinlock_init(&l->guard, name);
  l->held = false;
  l->pid = 0;
  l->name = name;
}

void sleeplock_acquire(struct sleeplock *l) {
  acquire(&l->guard);
  // proc_sleep lets go of the guard while asleep and takes it back, so a
  // release cannot slip in between the test and the sleep.
  while (l->held)
    proc_sleep(l, &l->guard);
  l->held = true;
  l->pid = this_proc()->pid;
  release(&l->guard);
}

void sleeplock_release(struct sleeplock *l) {
  acquire(&l->guard);
  if (!l->held || l->pid != this_proc()->pid)
    panic("sleeplock_release: %s is not held by pid %d", l->name,
          this_proc()->pid);
  l->held = false;
  l->pid = 0;
  proc_wakeup(l);
  release(&l->guard);
}

bool sleeplock_holding(struct sleeplock *l) {
  acquire(&l->guard);
  bool mine = l->held && l->pid == this_proc()->pid;
  release(&l->guard);
  return mine;
}
