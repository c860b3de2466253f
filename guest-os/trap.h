// guest-os/trap.h: traps and interrupts (privileged spec 4.1.2 stvec,
// 4.1.8 scause, 4.1.3 sip/sie).
#ifndef GUEST_OS_TRAP_H
#define GUEST_OS_TRAP_H

#include "kernel/types.h"

struct proc;
struct trapframe;

// Set this hart up to take traps and interrupts: stvec, and sie with the
// software (IPI), timer and external interrupts. Interrupts stay off
// (sstatus.SIE) until the scheduler's idle wait or user mode.
void trap_hart_init(void);

// Enter p's user mode, from its trap frame. Interrupts must be off.
void user_return(struct proc *p) __attribute__((noreturn));

// The C halves of the vectors in guest-os/trapvec.S.
void user_trap(struct trapframe *tf) __attribute__((noreturn));
void kernel_trap(void);

#endif
