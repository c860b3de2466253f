// splashos/clock.h: elapsed time.
//
// The time CSR counts at /cpus/timebase-frequency (10 MHz on QEMU virt)
// and is readable from S-mode with rdtime (privileged spec 3.1.11; under
// the monitor, hcounteren.TM lets the guest read it too). Under QEMU TCG
// this is host wall-clock time, so it says how long the emulation took,
// not how long real hardware would (see ../shared/design.md: "NUMA effects
// must be counted and modelled, not timed").
#ifndef SPLASHOS_CLOCK_H
#define SPLASHOS_CLOCK_H

#include "kernel/types.h"

// Microseconds since the machine started.
uint64_t clock_us(void);

#endif
