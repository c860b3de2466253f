// hyp/cpu/vtrap.h: what the monitor does when a guest traps to it.
#ifndef HYP_VTRAP_H
#define HYP_VTRAP_H

#include "hyp/cpu/vcpu.h"

// Handle v's last trap (v->scause, stval, htval, htinst, as read right
// after it). May set v->leave to send v off the hart.
void vtrap_handle(struct vcpu *v);

// Read the 16- or 32-bit guest instruction at guest-virtual address va,
// as the guest would fetch it (HLVX.HU, privileged spec 8.3.1: execute
// permission checked, through the guest's own page tables and then the
// G stage). Returns 0, or -1 if the fetch faults.
int vtrap_read_insn(struct vcpu *v, uint64_t va, uint32_t *insn);

#endif
