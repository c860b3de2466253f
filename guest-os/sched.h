// guest-os/sched.h: the scheduler, and sleeping and waking.
//
// Every hart runs sched_run() on its boot stack: a loop that picks the
// next runnable process, round-robin over the process table, and
// switches to it. A process gives its hart back (sched_give_up) when it
// sleeps, exits, or is preempted by the timer (sched_yield); the switch
// lands back in that hart's loop, which picks again.
//
// The kernel itself is never preempted: it runs with interrupts off,
// except in the idle wait inside sched_run. A timer interrupt that comes
// while a process is in user mode makes it yield; one that comes while it
// is in the kernel waits until it returns to user mode. This is the
// classic Unix kernel's rule, and it means a spinlock never needs to
// turn interrupts off itself (kernel/spinlock.c does not).
//
// proc_lock (guest-os/proc.h) guards every process's state, and the
// scheduler holds it across each switch: a process always gives up its
// hart with proc_lock held, and finds it held when it is switched back
// in, by whichever hart picked it.
#ifndef GUEST_OS_SCHED_H
#define GUEST_OS_SCHED_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

// The registers context_switch (guest-os/switch.S) saves: the ones a
// function call must preserve. The offsets are switch.S's.
struct context {
  uint64_t ra;
  uint64_t sp;
  uint64_t s[12];
};

// Save the caller's registers in *save, load *load's and return there.
void context_switch(struct context *save, struct context *load);

struct proc;

// This hart's scheduler loop. Never returns.
void sched_run(void) __attribute__((noreturn));

// Switch from the current process to this hart's scheduler. The caller
// holds proc_lock and has already set the process's state to something
// other than running; proc_lock is held again when this returns (perhaps
// on another hart, much later).
void sched_give_up(void);

// Give up the hart but stay runnable: the timer's preemption.
void sched_yield(void);

// Make p runnable (caller holds proc_lock) and wake an idle hart for it.
void sched_make_runnable(struct proc *p);

// Sleep on chan until proc_wakeup(chan). lk is the lock that guards the
// condition the caller waits for; it is held on the call, released while
// asleep (atomically with going to sleep, so no wakeup is lost), and held
// again on return. lk may be proc_lock itself.
void proc_sleep(const void *chan, struct spinlock *lk);

// Wake every process sleeping on chan. The _locked form is for callers
// that hold proc_lock already.
void proc_wakeup(const void *chan);
void proc_wakeup_locked(const void *chan);

#endif
