// hyp/mem/tlb.h: TLB emulation (lab 2): VMIDs, exact fences, shootdowns.
//
// Disco's monitor sat on every TLB refill of its guests and flushed the
// MIPS TLB when it switched virtual CPUs (Disco 4.2.1-4.2.2). On RISC-V
// the hardware refills both translation stages itself (privileged spec
// 8.5), and what is left to the monitor is the other half of the job:
// make sure no hart ever uses a translation that is no longer true.
//
//   - Each VM's address space (its pmap) gets a VMID (hyp/mem/vmid.h), so
//     translations of different VMs can sit in one hart's TLB side by side
//     and a switch between VMs needs no flush.
//   - The guest believes each of its vCPUs has a TLB of its own, and fences
//     it with sfence.vma (which, run in VS-mode, fences the VS stage of its
//     VMID on the hart it runs on) or asks the other vCPUs to with SBI
//     RFENCE. When vCPUs of one VM share a hart, or a vCPU moves, the
//     monitor adds the VS-stage fence that makes this belief true
//     (tlb_load).
//   - When the monitor changes a mapping of a running VM (pmap_remove,
//     pmap_protect, pmap_move_page in hyp/mem/pmap.c), every hart that may
//     hold the old G-stage translation fences it before the old machine
//     page is reused: at once, by IPI and acknowledgement, on the harts
//     that run the VM now; before they next run it on the others
//     (tlb_shootdown, hyp/mem/shootdown.c).
//
// Which hart may cache what is tracked with two numbers per VM: a bitmap
// of the harts that ran it with its current VMID, and the *change epoch*
// of its latest changed mapping (a machine-wide counter); each hart keeps,
// per VM, the epoch its last fence covered (hyp/mem/tlb.c).
#ifndef HYP_MEM_TLB_H
#define HYP_MEM_TLB_H

#include "hyp/mem/vmid.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

struct pmap;
struct vcpu;
struct vm;

// Counters of one VM (printed as `counters <vm>: tlb ...`).
struct tlb_counters {
  uint64_t vmids;            // VMIDs it was given (one more per rollover it saw)
  uint64_t flush_all;        // whole-TLB flushes before running it
  uint64_t gfence_local;     // G-stage fences on the hart that changed a mapping
  uint64_t gfence_remote;    // ... on other harts, for its changes
  uint64_t vfence_local;     // VS-stage fences for a vCPU's own needs: when it is
                             //   loaded (tlb_load), on a hart's first entry with
                             //   this VMID (tlb_enter), for its RFENCEs of itself
  uint64_t vfence_remote;    // ... done for another vCPU's RFENCE (one per range,
                             //   or per "all"; drain_rfences)
  uint64_t shootdowns;       // mappings changed while it may have run
  uint64_t ipis;             // IPIs sent for its shootdowns and RFENCEs
  uint64_t pages_moved;      // pmap_move_page
  uint64_t pages_returned;   // monitor call page_free that freed a page
  uint64_t pages_zeroed;     // monitor call page_zero (hyp/sbi/vsbi_disco.c)
  uint64_t audit_violations; // stale translations the auditor saw (under its
                             //   audit_lock, not atomic)
};

// What a pmap carries for the TLB: its VMID and who may cache it.
struct tlb_space {
  struct vmid vmid;          // under the vmid lock (hyp/mem/tlb.c)
  uint64_t harts;            // bit h: hart h may cache translations of
                             //   this VMID (atomic; cleared with a new VMID)
  uint64_t changed;          // change epoch of its latest changed mapping (atomic)
  uint64_t audit_id;         // names this address space for the auditor
  struct tlb_counters c;     // atomic adds (audit_violations: see above)
};

// One range a guest's RFENCE asked a vCPU to fence (SBI spec 8.2, 8.3).
#define TLB_ASID_ALL (~0UL)
struct tlb_range {
  uint64_t start, size;      // size ~0: the whole address space
  uint64_t asid;             // TLB_ASID_ALL: every ASID
};

#define TLB_RFENCE_SLOTS 4   // queued ranges per vCPU before "fence all"

// What a vCPU carries for the TLB.
struct tlb_vcpu {
  struct spinlock lock;      // the queue below (n, all, q) and posted; held
                             //   across audit_rfence, so the auditor sees
                             //   requests in queue order
  int n;                     // queued ranges
  uint64_t all;              // 0, or the ticket of the latest request that
                             //   found the queue full: fence the whole VS stage
  struct tlb_range q[TLB_RFENCE_SLOTS];
  uint64_t posted;           // RFENCE requests queued so far (under lock)
  uint64_t done;             // ... and carried out (atomic)
  int in_guest;              // 1 while in the guest (atomic)
  int cur_hart;              // the hart it runs on while in_guest
  int last_hart;             // where its VS translations may be cached (-1: none);
                             //   only the hart v is loaded on uses it
  // The auditor's own view (hyp/mem/tlb_audit.c), kept apart from the
  // above: under the auditor's audit_lock.
  int audit_hart;            // hart + 1 of its last guest entry, 0: none
  int audit_n;               // RFENCE ranges it was asked for, not yet fenced
  int audit_all;             // 0 no, 1 pending, 2 done
  struct tlb_range audit_q[TLB_RFENCE_SLOTS];
  uint64_t audit_from[TLB_RFENCE_SLOTS];  // requester vCPU id per range
  uint64_t audit_from_all;   // bitmap of requesters of an "all"
};

// On the boot hart, once: probe the VMID width (write all ones to
// hgatp.VMID, read back: privileged spec 8.2.10) and use at most `limit`
// bits of it (-1: all the hardware has). Prints the result.
void tlb_boot(int limit);

// The VMID bits in use.
int tlb_vmid_bits(void);

// Set up a new pmap's TLB state (called by pmap_init).
void tlb_space_init(struct tlb_space *t);

// Set up a vCPU's TLB state (vm_create, once per vCPU; vcpu_reset on a
// restart leaves it as it is).
void tlb_vcpu_init(struct vcpu *v);

// vcpu_load: v is about to run on this hart. Make its VMID valid, load
// hgatp, and do the fences that switching to v needs on this hart.
void tlb_load(struct vcpu *v);

// Just before each entry into the guest (after every other monitor step,
// so that nothing runs between it and the sret but the world switch):
// publish that this hart is in v's guest, catch up with the VM's mapping
// changes and with the RFENCEs queued for v.
void tlb_enter(struct vcpu *v);

// Right after the guest trapped out: this hart is in the monitor again.
void tlb_exit(struct vcpu *v);

// SBI RFENCE remote_sfence_vma(_asid) from `caller` for target t (SBI
// spec 8.2/8.3): queue range r for t (or fence now, if t is the caller).
// Returns a ticket for tlb_rfence_wait.
uint64_t tlb_rfence_post(struct vcpu *caller, struct vcpu *t,
                         struct tlb_range r);
// (Each request is removed from t's queue only after it is fenced, so
// the queue holds at least what the auditor's copy of it holds.)

// Wait until t has carried out request `ticket`, or is out of the guest
// (then it does so before it enters again). IPIs t's hart if needed.
void tlb_rfence_wait(struct vcpu *caller, struct vcpu *t, uint64_t ticket);

// The shootdown (hyp/mem/shootdown.c): the caller changed (removed,
// downgraded or retargeted) pm's mapping of guest page gpa, and released
// pm->lock. Returns when no hart can use the old translation any more:
// the ones running pm's VM now have fenced it, the others will before
// they next run it. Then the old machine page may be reused.
void tlb_shootdown(struct pmap *pm, uint64_t gpa);

// Remove machine page pa from every VM that maps it, through its
// back-mappings (Disco 4.2.3), with a shootdown each. The page itself is
// not freed: each mapping held a reference on it, which passes to the
// caller, for whom the page is now unmapped everywhere: it frees (one
// memmap_free per mapping) or reuses it (labs 3 and 4). Returns how many
// mappings it removed.
int memmap_unmap_page(uint64_t pa);

// Print `counters <vm>: tlb ...` for vm, and (tlb_print_machine) the
// machine-wide line `counters machine: tlb ...`.
void tlb_print_counters(struct vm *vm);
void tlb_print_machine(void);

// ---- Internals shared by hyp/mem/tlb.c and hyp/mem/shootdown.c ----

// The change epoch: bumped for every changed mapping (atomic).
extern uint64_t tlb_epoch;

// Per hart: what its TLB may hold, and what it runs now.
#define TLB_MAX_VMS 8              // = MAX_VMS (hyp/vm/vm.h; checked in tlb.c)
// Only hart h writes tlb_harts[h]; other harts read its guest and seen
// (atomically) in a shootdown.
struct tlb_hart {
  uint64_t gen;              // VMID generation of its last whole flush
  struct pmap *last_pm;      // with no VMIDs: the VM its TLB holds
  uint64_t hgatp;            // what it last wrote to hgatp
  uint64_t seen[TLB_MAX_VMS];          // per VM (pmap owner - 1): epoch its fences cover
  struct vcpu *last_vs[TLB_MAX_VMS];   // per VM: the vCPU whose VS translations it holds
  struct pmap *guest;        // whose guest runs on it now, or NULL (atomic)
};
extern struct tlb_hart tlb_harts[];

// Fence on this hart, through the auditor: G-stage of gpa for vmid; all
// of vmid's G stage.
void tlb_fence_gvma(uint64_t gpa, uint16_t vmid);
void tlb_fence_gvma_vmid(uint16_t vmid);

// Send an IPI to the harts in mask (bit h = hart h), counted for pm.
void tlb_ipi(struct pmap *pm, uint64_t mask);

#endif
