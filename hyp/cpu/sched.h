// hyp/cpu/sched.h: which vCPU runs on which hart, and when.
#ifndef HYP_SCHED_H
#define HYP_SCHED_H

#include "hyp/cpu/vcpu.h"
#include "kernel/spinlock.h"

// One lock for every run queue, every vCPU's state and every VM's state
// (hyp/vm/vm.h: the VM lifecycle): simple to reason about, and a monitor
// with a handful of harts does not feel it.
extern struct spinlock sched_lock;

// Set up this hart's hypervisor CSRs (what the guest handles itself, what
// it may read) and interrupt enables. Every hart calls it once.
void sched_hart_init(void);

// Put a vCPU that is on no hart and in no queue on its hart's run queue:
// STOPPED (just reset by vm_create) or STARTING (claimed and reset by HSM
// hart_start).
void sched_start_vcpu(struct vcpu *v);

// From a trap handler on v's own hart: v waits for an interrupt (WFI:
// state VCPU_IDLE; HSM retentive suspend: VCPU_SUSPENDED) or stops
// (VCPU_STOPPED). v leaves the hart after this trap.
void sched_idle_vcpu(struct vcpu *v, enum vcpu_state state);

// From v's WFI trap, on its own hart, when v has no interrupt to take:
// wait for one right here, v still loaded, if the hart has nothing else
// to do (no vCPU in any queue). Returns true when v has an interrupt to
// take (back into the guest); false at once, or when something else wants
// the hart (a kick, the VM stopping): then v goes idle the usual way,
// sched_idle_vcpu. Putting v away, running the scheduler loop and loading
// v again is most of what an idle guest's WFI costs; KVM's halt polling
// saves the same, spinning where this sleeps.
bool sched_wait_here(struct vcpu *v);
// v has a new interrupt (vcpu_raise_irq was called): wake it if it waits,
// or make its hart look at it if it runs elsewhere.
void sched_kick_vcpu(struct vcpu *v);

// Make every hart running a vCPU of vm leave it (vm_stop uses this).
void sched_kick_vm(struct vm *vm);

// The scheduler loop of every hart, once the VMs exist. Never returns:
// when every VM has stopped, the boot hart powers the machine off.
void sched_run(void) __attribute__((noreturn));

#endif
