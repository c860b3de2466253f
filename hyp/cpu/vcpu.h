// hyp/cpu/vcpu.h: virtual CPUs.
//
// Disco gives each virtual machine virtual CPUs that it multiplexes on the
// real processors, running the guest's kernel in a less privileged mode
// and keeping the privileged registers of each virtual CPU in a data
// structure of its own (Disco 4.2.1 "Virtual CPUs"). The H-extension does
// most of the hard part in hardware: the guest kernel runs in VS-mode, and
// its accesses to s* CSRs go to a separate set of vs* CSRs. The monitor's
// job is to save and restore that set (and the general registers) when it
// switches vCPUs on a hart: the "world switch" (hyp/cpu/switch.S, vcpu_load and
// vcpu_put in hyp/cpu/vcpu.c).
#ifndef HYP_VCPU_H
#define HYP_VCPU_H

#include "hyp/mem/tlb.h"
#include "hyp/param.h"
#include "kernel/types.h"

struct vm;

// vCPU states. The SBI HSM extension (SBI spec 9) shows the guest
// STOPPED/STARTED/SUSPENDED; the scheduler needs finer ones.
enum vcpu_state {
  VCPU_STOPPED,     // not started yet, or stopped (HSM)
  VCPU_RUNNABLE,    // on a run queue, waiting for its hart
  VCPU_RUNNING,     // on a hart right now
  VCPU_IDLE,        // waiting for an interrupt (WFI)
  VCPU_SUSPENDED,   // HSM retentive suspend: like IDLE
  VCPU_STARTING,    // HSM hart_start won it: being reset, then RUNNABLE
                    //   (SBI's START_PENDING)
};

// Number of exception causes we count (0..23: the S-mode causes and the
// H-extension's guest-page faults and virtual instruction, privileged spec
// 8.6.1 "Trap Cause Codes").
#define NCAUSES 24

struct vcpu {
  // ---- Saved and restored by hyp/cpu/switch.S. The assembly knows these
  // offsets (hyp/cpu/vcpu_offsets.h); do not move them. ----
  uint64_t x[32];        // guest x0..x31 (x[0] unused)
  uint64_t sepc;         // guest pc
  uint64_t hstatus;      // hstatus while the guest runs (SPV, VTW, ...)
  uint64_t sstatus;      // sstatus while the guest runs (SPP, FS)
  uint64_t host[16];     // the monitor's ra, sp, gp, tp, s0..s11

  // ---- VS-level CSRs, kept here while the vCPU is off its hart ----
  uint64_t vsstatus, vsie, vstvec, vsscratch, vsepc, vscause, vstval;
  uint64_t vsatp, vstimecmp, hvip;
  uint64_t fregs[32], fcsr;   // floating point (hyp/cpu/fpu.S)

  // ---- Why the guest last left (read right after the trap) ----
  uint64_t scause, stval, htval, htinst;

  // ---- Fixed once the VM is created ----
  struct vm *vm;
  int id;                // the vCPU number: the guest's "hart id"

  // ---- Scheduling: sched_lock must be held to use these
  // (hyp/cpu/sched.c) ----
  enum vcpu_state state;
  enum vcpu_state next_state;  // the state to take when it leaves its hart
  int hart;              // the hart it runs, or will run, on
  struct vcpu *rq_next;  // run queue link
  uint64_t queued_at;    // rdtime when it joined its run queue
  uint64_t waited;       // rdtime ticks spent in run queues since it last
                         //   found its queue empty, went idle by itself
                         //   or changed node (a NUMA VM's vCPU may leave
                         //   its node when this is long: sched.c)

  // ---- Only the hart running the vCPU uses these ----
  int hart_seen;         // the hart it last ran on (-1: never ran)
  int leave;             // set by a handler: leave the hart after this trap
  int sbi_no_return;     // the SBI handler redirected the guest itself
  int sbi_last_row;      // the row of hyp/sbi/vsbi.c's table it called last

  // ---- Set by any hart, with atomic operations; read on its own hart
  // before it enters the guest ----
  uint64_t irqs;         // VS interrupts to inject (hvip bits)
  uint32_t flush;        // RFENCE asked for a fence.i
  uint32_t eip;          // external interrupt line from the PLIC

  // ---- Lab 2's TLB state: its own lock inside (hyp/mem/tlb.h) ----
  struct tlb_vcpu tlb;   // RFENCE ranges queued, where its VS TLB is

  // ---- Counters (printed by vm_print_counters). Only its own hart adds
  // to them, except idle_ticks and idle_since: under sched_lock ----
  uint64_t traps[NCAUSES];     // exceptions by cause
  uint64_t trap_ticks[NCAUSES];  // rdtime ticks the monitor spent on them
  uint64_t irq_ticks;          // ... and on host interrupts
  uint64_t interrupts;         // host interrupts while in the guest
  uint64_t sbi_calls;          // ecalls from the guest
  uint64_t sbi_by_ext[MAX_SBI_EXTS];  // ... by row of hyp/sbi/vsbi.c's table
  uint64_t wfis;               // guest WFIs trapped
  uint64_t wfis_here;          // ... and waited out on its hart (sched_wait_here)
  uint64_t system_suspends;    // SBI SUSP calls that suspended the VM
  uint64_t mmio_accesses;      // device accesses emulated
  uint64_t migrations;         // times it moved to another hart
  uint64_t idle_ticks;         // rdtime ticks spent IDLE, or waiting in
                               // a WFI on its hart (sched_wait_here)
  uint64_t idle_since;
};

// Put the vCPU in the state the SBI spec gives a hart that starts (HSM
// hart_start, SBI spec 9.1): pc = start, a0 = its id, a1 = opaque,
// VS-mode, vsatp = 0 (MMU off), interrupts off.
void vcpu_reset(struct vcpu *v, uint64_t start, uint64_t opaque);

// From an SBI handler on v's hart: when v next runs, it starts over at
// `addr` with a0 = its id, a1 = opaque, MMU and interrupts off: how a hart
// comes back from a non-retentive suspend (SBI spec 9.4 and 13.1).
void vcpu_resume_at(struct vcpu *v, uint64_t addr, uint64_t opaque);

// Run v on this hart until it has to leave (it stops, waits for an
// interrupt, its time slice ends, or its VM stops). Returns with v's state
// saved; the caller (the scheduler) decides what comes next.
void vcpu_run(struct vcpu *v);

// Ask that v get VS interrupt `irq` (IRQ_VS_SOFT; the external interrupt
// is a level, v->eip, set by hyp/dev/mmio.c): safe from any hart. The
// caller then wakes v with sched_kick_vcpu.
void vcpu_raise_irq(struct vcpu *v, int irq);

// Make the guest take exception `cause` with stval `tval`, as if the
// hardware had delegated it (privileged spec 8.6.2, "Trap Entry").
void vcpu_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval);

// Does v have a VS interrupt pending that it has enabled? (WFI may end.)
// Reads v's saved copies of vsie, hvip and vstimecmp: on v's own hart,
// while v is loaded, call vcpu_sync_irq_state first.
bool vcpu_has_interrupt(struct vcpu *v);

// On v's hart, with v loaded: copy the CSRs vcpu_has_interrupt reads
// (vsie, hvip, vstimecmp) from the hart into v.
void vcpu_sync_irq_state(struct vcpu *v);

// The world switch (hyp/cpu/switch.S): enter the guest with v's registers and
// come back here at its next trap, with v's registers saved.
void vcpu_enter(struct vcpu *v);

// Floating-point registers (hyp/cpu/fpu.S).
void fpu_save(uint64_t *fregs, uint64_t *fcsr);
void fpu_restore(const uint64_t *fregs, const uint64_t *fcsr);

#endif
