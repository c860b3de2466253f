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

// Route source `src` of PLIC number `plic` (an index into
// machine.plics) to every hart's S-mode context, and call handler() for
// each interrupt it raises. Boot hart, before the other harts start.
void plic_attach(int plic, uint32_t src, void (*handler)(void));

// An S-mode external interrupt on this hart: claim, handle and complete
// every source pending for this hart's contexts.
void plic_interrupt(void);

#endif
