// guest-os/hart.h: per-hart state.
//
// One struct hart per hart id, found through tp (kernel/riscv.h:
// hart_id()), so that a hart reaches its own state without a lock.
#ifndef GUEST_OS_HART_H
#define GUEST_OS_HART_H

#include "guest-os/param.h"
#include "guest-os/sched.h"
#include "kernel/riscv.h"

struct hart {
  struct proc *proc;           // the process running here, or NULL
  struct context scheduler;    // sched_run's registers while it runs
  uint64_t switches;           // processes switched to, for the curious
};

extern struct hart harts[MAX_HARTS];

static inline struct hart *this_hart(void) { return &harts[hart_id()]; }

// Ask the firmware (SBI HSM hart_start) to start every other hart of the
// device tree at _secondary_entry (guest-os/entry.S).
void harts_start_others(void);

// This hart is about to wait for work (idle = true), or has stopped
// waiting (false). Only the hart itself calls it.
void hart_set_idle(bool idle);

// Some process just became runnable: if some other hart is waiting idle
// (and this one is not), send it an interrupt (SBI IPI) so it looks for
// work now instead of at its next timer tick.
void harts_kick_idle(void);

// Print how many times each hart switched to a process, on one line:
//   guest-os: switches hart0=120 hart1=37 ...
// (tests read it to see that every hart took part).
void harts_print_switches(void);

#endif
