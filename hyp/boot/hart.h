// hyp/boot/hart.h: per-hart state, and bringing the other harts up.
#ifndef HYP_HART_H
#define HYP_HART_H

#include "hyp/param.h"
#include "kernel/types.h"

// What the monitor keeps for each physical hart, indexed by hart id.
struct vcpu;

struct hart {
  volatile bool up;     // set by the hart itself once it runs monitor code
  int node;             // its NUMA node (from the device tree)
  struct vcpu *last_vcpu;   // whose VS state and translations it holds
  struct vcpu *rq_head;     // run queue (hyp/cpu/sched.c), under sched_lock
  struct vcpu *rq_tail;
  bool idle;                // waiting in sched_run's WFI for something to do
  uint64_t idle_ticks;      // time spent with nothing to run
  uint64_t slice_end;       // when the running vCPU's time slice ends
};

extern struct hart harts[MAX_HARTS];

// On the boot hart: start every other hart the machine has (SBI HSM
// hart_start at _secondary_entry) and wait, up to a second, for each to
// report in. Returns how many harts are up, the boot hart included.
int harts_start(void);

// On the boot hart, once the VMs exist: let every other hart into the
// scheduler (they wait for this after reporting in).
void harts_release(void);

#endif
