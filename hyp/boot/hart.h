// hyp/boot/hart.h: per-hart state, and bringing the other harts up.
#ifndef HYP_HART_H
#define HYP_HART_H

#include "hyp/param.h"
#include "kernel/types.h"

// What the monitor keeps for each physical hart, indexed by hart id.
struct vcpu;

struct hart {
  // Set once at boot by the boot hart (harts_start), before it lets the
  // other harts read harts[]; read-only after.
  int node;                 // its NUMA node (from the device tree)

  // Set once, by the hart itself, once it runs monitor code; read by the
  // boot hart as it waits (volatile, with a fence before the store).
  volatile bool up;

  // sched_lock (hyp/cpu/sched.c) must be held when using these.
  struct vcpu *rq_head;     // run queue
  struct vcpu *rq_tail;
  bool idle;                // waiting in sched_run's WFI for something to do
  uint64_t idle_ticks;      // time spent with nothing to run

  // Only the hart itself uses these, with no lock.
  struct vcpu *last_vcpu;   // whose VS state and translations it holds
  uint64_t slice_end;       // when the running vCPU's time slice ends
};

extern struct hart harts[MAX_HARTS];

// On the boot hart: start every other hart the machine has (SBI HSM
// hart_start at _secondary_entry) and wait, up to five seconds, for each
// to report in. Returns how many harts are up, the boot hart included.
int harts_start(void);

// On the boot hart, once the VMs exist: let every other hart into the
// scheduler (they wait for this after reporting in).
void harts_release(void);

// Set this hart's S-mode timer to go off at `when` (rdtime; ~0: never).
// With Sstc the monitor writes its own stimecmp (the firmware lets S-mode
// do so: menvcfg.STCE, which the guests' vstimecmp needs too); without
// it, the SBI call does it (SBI spec 6.1), a trap into the firmware each
// time. The monitor sets its timer on most of its way back into a guest.
void hart_set_timer(uint64_t when);

#endif
