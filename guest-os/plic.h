// guest-os/plic.h: the PLIC, the platform's interrupt controller.
//
// Devices raise interrupts on numbered "sources" of a PLIC; the PLIC
// passes each to the "contexts" (one privilege mode of one hart) that
// enabled it, as an S-mode external interrupt (sip.SEIP). The hart then
// "claims" the source from its context, runs the device's handler, and
// "completes" it. Spec: RISC-V Platform-Level Interrupt Controller
// Specification, version 1.0.0.
#ifndef GUEST_OS_PLIC_H
#define GUEST_OS_PLIC_H

#include "kernel/types.h"

// Call handler() for each interrupt that source `src` of PLIC number
// `plic` (an index into machine.plics) raises, give the source a
// priority, and pick the one hart that will take it (see plic.c). Boot
// hart, before the other harts start. The target takes nothing until it
// has enabled the source for itself (plic_hart_init).
void plic_attach(int plic, uint32_t src, void (*handler)(void));

// Enable, for this hart's S-mode context, every attached source it is the
// target of. Each hart, when it joins: the firmware resets a hart's PLIC
// contexts when it starts that hart (OpenSBI does, in its warm boot), so
// enabling them for it any earlier would be undone.
void plic_hart_init(void);

// An S-mode external interrupt on this hart: claim, handle and complete
// a source pending for this hart's contexts (one a trap: another still
// pending keeps the interrupt up).
void plic_interrupt(void);

// Has the device's interrupt been acknowledged before its handler runs
// (in a Disco-V VM, by the monitor call that took it: plic.c)? Then the
// handler skips its own acknowledgement.
bool plic_device_acked(void);

#endif
