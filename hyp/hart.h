// hyp/hart.h: per-hart state, and bringing the other harts up.
#ifndef HYP_HART_H
#define HYP_HART_H

#include "hyp/param.h"
#include "kernel/types.h"

// What the monitor keeps for each physical hart, indexed by hart id.
struct hart {
  volatile bool up;     // set by the hart itself once it runs monitor code
  int node;             // its NUMA node (from the device tree)
};

extern struct hart harts[MAX_HARTS];

// On the boot hart: start every other hart the machine has (SBI HSM
// hart_start at _secondary_entry) and wait, up to a second, for each to
// report in. Returns how many harts are up, the boot hart included.
int harts_start(void);

#endif
