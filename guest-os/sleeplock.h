// guest-os/sleeplock.h: locks whose waiters sleep.
//
// A spinlock (kernel/spinlock.h) is for short critical sections that
// never sleep. A sleep lock is for long ones, held across disk I/O: the
// buffer cache holds one per cached block while the block is read or
// changed, the inode cache one per inode. A process that finds it held
// sleeps (guest-os/sched.h) until the holder lets go, so its hart runs
// someone else meanwhile. Only processes may take sleep locks.
#ifndef GUEST_OS_SLEEPLOCK_H
#define GUEST_OS_SLEEPLOCK_H

#include "kernel/spinlock.h"

struct sleeplock {
  struct spinlock guard;    // guards the two fields below
  bool held;
  int pid;                  // the holder's pid, for sleeplock_holding
  const char *name;         // for panic messages
};

void sleeplock_init(struct sleeplock *l, const char *name);

// Take l, sleeping for as long as another process holds it.
void sleeplock_acquire(struct sleeplock *l);

// Let go of l (the caller holds it) and wake its waiters.
void sleeplock_release(struct sleeplock *l);

// Does the calling process hold l?
bool sleeplock_holding(struct sleeplock *l);

#endif
