// hyp/cpu/trap.h: traps taken by the monitor itself (not by its guests).
#ifndef HYP_TRAP_H
#define HYP_TRAP_H

#include "kernel/types.h"

// The registers hyp/cpu/trapvec.S saves: x[i] is register xi, except x[0],
// which holds sepc (the zero register needs no saving).
struct trapframe {
  uint64_t x[32];
};

// Point this hart's stvec at hyp_trapvec.
void trap_init(void);

// Called by hyp/cpu/trapvec.S with the saved registers.
void hyp_trap(struct trapframe *tf);

// Run one instruction that may trap, on purpose: between
// trap_probe_begin() and trap_probe_end(), an exception on this hart does
// not panic; the handler skips the (32-bit) instruction that caused it,
// and trap_probe_end() returns its scause, or 0 if nothing trapped.
void trap_probe_begin(void);
uint64_t trap_probe_end(void);

// After a probe that took a guest-page fault (cause 20, 21 or 23): the
// guest-physical address that faulted.
uint64_t trap_probe_gpa(void);

// Is the H-extension there? Tries to read hstatus: without the
// extension that is an illegal instruction, which the trap handler
// catches and reports back instead of panicking.
bool trap_probe_h_extension(void);

#endif
