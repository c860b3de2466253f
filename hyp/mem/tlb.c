// hyp/mem/tlb.c: VMIDs on the harts, fences on vCPU load and guest entry,
// and guest RFENCEs (see hyp/mem/tlb.h).
//
// The fences, with the spec's words for what each one covers (privileged
// spec 8.3.2, "Hypervisor Memory-Management Fence Instructions"):
//
//   hfence.gvma gpa>>2, vmid   G-stage translations of gpa, for vmid
//   hfence.gvma x0, vmid       every G-stage translation of vmid
//   hfence.gvma x0, x0         every G-stage translation, every VMID
//   hfence.vvma va, asid       VS-stage translations of va, for asid, of
//                              the VMID now in hgatp (like sfence.vma run
//                              in VS-mode); x0 in either place: all of them
//
// HFENCE.VVMA acts only for the VMID in hgatp, so VS-stage entries that an
// older holder of a VMID left behind are fenced when a hart first runs the
// VMID's new holder (tlb_enter: "First use of this VMID on this hart").
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/tlb.h"
#include "hyp/mem/tlb_audit.h"
#include "hyp/mem/pmap.h"
#include "hyp/cpu/vcpu.h"
#include "hyp/vm/vm.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "kernel/string.h"

_Static_assert(TLB_MAX_VMS == MAX_VMS, "tlb_hart arrays are per VM");

struct tlb_hart tlb_harts[MAX_HARTS];
uint64_t tlb_epoch;

static struct vmid_space space;          // under vmid_lock
static struct spinlock vmid_lock = SPINLOCK_INIT("vmid");
static int hw_vmid_bits;                 // what the hardware has
static uint64_t audit_ids;               // last tlb_space.audit_id given


// Add n to a counter another hart may add to at the same time.
#define COUNT(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

// ---- The fence instructions, each reported to the auditor ----

void tlb_fence_gvma(uint64_t gpa, uint16_t vmid) {
  asm volatile(".option push\n.option arch, +h\n"
               "hfence.gvma %0, %1\n.option pop"
               ::"r"(gpa >> 2), "r"((uint64_t)vmid) : "memory");
  audit_gvma(gpa, vmid);
}

void tlb_fence_gvma_vmid(uint16_t vmid) {
  asm volatile(".option push\n.option arch, +h\n"
               "hfence.gvma zero, %0\n.option pop"
               ::"r"((uint64_t)vmid) : "memory");
  audit_gvma(AUDIT_ALL, vmid);
}

static void fence_gvma_all(void) {
  hfence_gvma_all();
  audit_gvma(AUDIT_ALL, AUDIT_ALL);
}

// VS stage, for the VMID in hgatp (which the caller says, for the auditor).
static void fence_vvma_all(uint16_t vmid) {
  hfence_vvma_all();
  audit_vvma(0, ~0UL, AUDIT_ALL, vmid);
}

// One page (va) or, with va = AUDIT_ALL, every address, of one ASID or
// (TLB_ASID_ALL) every ASID; for vmid, the VMID in hgatp.
static void fence_vvma(uint64_t va, uint64_t asid, uint16_t vmid) {
  if (va == AUDIT_ALL && asid != TLB_ASID_ALL)
    asm volatile(".option push\n.option arch, +h\n"
                 "hfence.vvma zero, %0\n.option pop" ::"r"(asid) : "memory");
  else if (asid == TLB_ASID_ALL)
    asm volatile(".option push\n.option arch, +h\n"
                 "hfence.vvma %0, zero\n.option pop" ::"r"(va) : "memory");
  else
    asm volatile(".option push\n.option arch, +h\n"
                 "hfence.vvma %0, %1\n.option pop" ::"r"(va), "r"(asid) : "memory");
  if (va == AUDIT_ALL)
    audit_vvma(0, ~0UL, asid, vmid);
  else
    audit_vvma(ALIGN_DOWN(va, PAGE_SIZE), PAGE_SIZE, asid, vmid);
}

// ---- Boot ----

void tlb_boot(int limit) {
  // How many VMID bits does the hardware have? Write all ones to
  // hgatp.VMID (with MODE = Bare, so nothing is translated by it) and read
  // back: the bits that stick are the ones implemented (spec 8.2.10: "the
  // number of VMID bits is UNSPECIFIED and may be zero ... determined by
  // writing one to every bit position in the VMID field, then reading
  // back"). VMID bits are implemented from the low end up.
  csr_write_num(CSR_HGATP, HGATP_VMID_MASK);
  uint64_t vmid = (csr_read_num(CSR_HGATP) & HGATP_VMID_MASK) >> HGATP_VMID_SHIFT;
  csr_write_num(CSR_HGATP, 0);
  hfence_gvma_all();
  hw_vmid_bits = 0;
  while (vmid & (1UL << hw_vmid_bits))
    hw_vmid_bits++;
  int bits = hw_vmid_bits;
  if (limit >= 0 && limit < bits)
    bits = limit;
  vmid_space_init(&space, bits);
  printf("tlb: vmid-bits=%d (hardware %d) audit=%s\n", bits, hw_vmid_bits,
         tlb_audit_on ? "on" : "off");
}

int tlb_vmid_bits(void) { return space.bits; }

void tlb_space_init(struct tlb_space *t) {
  memset(t, 0, sizeof(*t));
  t->audit_id = __atomic_add_fetch(&audit_ids, 1, __ATOMIC_RELAXED);
  // Nothing cached anywhere yet (harts = 0), so no epoch to catch up with.
  t->changed = 0;
}

void tlb_vcpu_init(struct vcpu *v) {
  spinlock_init(&v->tlb.lock, "rfence");
  v->tlb.last_hart = -1;
  v->tlb.cur_hart = -1;
}

// ---- VMIDs on this hart ----

// Give pm a VMID of the current generation (a new one clears the set of
// harts that may cache it: nobody has used it yet in this generation),
// then make sure this hart has flushed since that generation began, and
// load hgatp. With no VMIDs, a hart that switches VMs flushes everything.
// Returns the VMID it loaded. The VMID and its generation are read
// together under the lock: read apart, another hart's rollover could pair
// a new id with an old generation and skip the flush that id needs.
static uint16_t sync_vmid(struct pmap *pm, struct tlb_hart *h) {
  struct tlb_space *t = &pm->tlb;
  acquire(&vmid_lock);
  if (vmid_update(&space, &t->vmid)) {
    __atomic_store_n(&t->harts, 0, __ATOMIC_SEQ_CST);
    COUNT(t->c.vmids, 1);
  }
  struct vmid cur = t->vmid;
  release(&vmid_lock);
  uint64_t hgatp = pmap_hgatp(pm, cur.id, machine.hart_node[hart_id()]);
  if (hgatp != h->hgatp) {
    csr_write_num(CSR_HGATP, hgatp);
    h->hgatp = hgatp;
  }
  bool flush = h->gen != cur.gen;         // a generation it has not flushed for
  if (space.bits == 0 && h->last_pm != pm)
    flush = true;                          // VMID 0 is everybody's
  if (flush) {
    fence_gvma_all();
    fence_vvma_all(cur.id);
    h->gen = cur.gen;
    COUNT(t->c.flush_all, 1);
  }
  h->last_pm = pm;
  return cur.id;
}

// This hart, and the index of pm in its per-VM arrays.
static struct tlb_hart *me(void) { return &tlb_harts[hart_id()]; }
static int slot(struct pmap *pm) { return pm->owner - 1; }

// The VMID in this hart's hgatp (that of the vCPU loaded here).
static uint16_t loaded_vmid(void) {
  return (uint16_t)((me()->hgatp & HGATP_VMID_MASK) >> HGATP_VMID_SHIFT);
}

void tlb_load(struct vcpu *v) {
  struct pmap *pm = &v->vm->pmap;
  struct tlb_hart *h = me();
  audit_load(v);                  // (before any fence for v, so it counts for v)
  uint16_t vmid = sync_vmid(pm, h);
  // BEGIN LAB 2: the VS-stage fence v needs here, if any; remember v is here
  int hart = (int)hart_id();
  // The guest believes each vCPU has a TLB of its own. This hart's VS
  // entries under pm's VMID belong to the vCPU of pm that last ran here:
  // if that was another vCPU, or v ran on another hart since (where the
  // guest's sfence.vma fenced that hart, not this one), they are not v's
  // to use. A hart that never ran pm's VMID holds none (tlb_enter fences
  // what an older holder of the VMID may have left).
  uint64_t bit = 1UL << hart;
  bool cached = (__atomic_load_n(&pm->tlb.harts, __ATOMIC_ACQUIRE) & bit) != 0;
  if (cached && (h->last_vs[slot(pm)] != v || v->tlb.last_hart != hart)) {
    fence_vvma_all(vmid);
    COUNT(pm->tlb.c.vfence_local, 1);
  }
  h->last_vs[slot(pm)] = v;
  v->tlb.last_hart = hart;
  // END LAB 2
  // STUB LAB 2: static int warned; // correct but slow: a VS flush on every load
  // STUB LAB 2: if (!warned++) printf("lab 2: tlb_load not implemented: flushing on every load\n");
  // STUB LAB 2: fence_vvma_all(vmid);
}

// Carry out the RFENCE requests queued for v (on v's hart, v loaded,
// vmid in hgatp). A request leaves the queue only once it is fenced: one
// posted meanwhile stays queued for the next drain. own: v asked for them
// itself (counted as vfence-local; others' requests as vfence-remote).
static void drain_rfences(struct vcpu *v, uint16_t vmid, bool own) {
  struct tlb_vcpu *t = &v->tlb;
  struct pmap *pm = &v->vm->pmap;
  if (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) ==
      __atomic_load_n(&t->posted, __ATOMIC_ACQUIRE))
    return;
  acquire(&t->lock);
  struct tlb_range q[TLB_RFENCE_SLOTS];
  int n = t->n;
  uint64_t all = t->all;
  uint64_t posted = t->posted;
  memcpy(q, t->q, sizeof(q));
  release(&t->lock);
  if (all != 0) {
    fence_vvma_all(vmid);
  } else {
    for (int i = 0; i < n; i++) {
      // The whole address space (size ~0), a range too long to fence
      // page by page, or one that wraps around: all of the ASID (the spec
      // lets us fence more than asked).
      if (q[i].size > 64 * PAGE_SIZE || q[i].start + q[i].size < q[i].start) {
        if (q[i].asid == TLB_ASID_ALL)
          fence_vvma_all(vmid);
        else
          fence_vvma(AUDIT_ALL, q[i].asid, vmid);
        continue;
      }
      uint64_t va = ALIGN_DOWN(q[i].start, PAGE_SIZE);
      for (; va < q[i].start + q[i].size; va += PAGE_SIZE)
        fence_vvma(va, q[i].asid, vmid);
    }
  }
  acquire(&t->lock);
  t->n -= n;
  memmove(t->q, t->q + n, (size_t)t->n * sizeof(t->q[0]));
  if (t->all <= posted)
    t->all = 0;                   // (a later "all" stays)
  __atomic_store_n(&t->done, posted, __ATOMIC_RELEASE);
  release(&t->lock);
  uint64_t fences = all != 0 ? 1 : (uint64_t)n;
  if (own)
    COUNT(pm->tlb.c.vfence_local, fences);
  else
    COUNT(pm->tlb.c.vfence_remote, fences);
}

void tlb_enter(struct vcpu *v) {
  struct pmap *pm = &v->vm->pmap;
  struct tlb_hart *h = me();
  int hart = (int)hart_id();
  // Publish first, then look: a shootdown or RFENCE on another hart
  // changes first, then looks at these. With both in sequentially
  // consistent order, either it sees us in the guest (and waits for us),
  // or we see its change here.
  v->tlb.cur_hart = hart;
  __atomic_store_n(&h->guest, pm, __ATOMIC_SEQ_CST);
  __atomic_store_n(&v->tlb.in_guest, 1, __ATOMIC_SEQ_CST);
  // A full fence between those stores and every load below (drain's
  // acquire loads of posted included): store then load is the one order
  // RISC-V's memory model lets a hart swap (RVWMO, unprivileged spec
  // chapter 17), and this is Dekker's pattern, which needs it kept.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint16_t vmid = sync_vmid(pm, h);
  uint64_t bit = 1UL << hart;
  uint64_t changed = __atomic_load_n(&pm->tlb.changed, __ATOMIC_SEQ_CST);
  if (!(__atomic_load_n(&pm->tlb.harts, __ATOMIC_SEQ_CST) & bit)) {
    // First use of this VMID on this hart in this generation: no G-stage
    // entries of it here (the generation's flush saw to that), but the
    // VS-stage entries of its previous holder may still be (VVMA acts per
    // VMID, so the flush could not reach them).
    __atomic_fetch_or(&pm->tlb.harts, bit, __ATOMIC_SEQ_CST);
    fence_vvma_all(vmid);
    COUNT(pm->tlb.c.vfence_local, 1);
    __atomic_store_n(&h->seen[slot(pm)], changed, __ATOMIC_RELEASE);
    h->last_vs[slot(pm)] = v;
    v->tlb.last_hart = hart;
  } else if (h->seen[slot(pm)] < changed) {
    // Mappings changed (on another hart) since this hart last fenced
    // pm's VMID: fence all of it (which gpas changed is not kept).
    tlb_fence_gvma_vmid(vmid);
    COUNT(pm->tlb.c.gfence_remote, 1);
    __atomic_store_n(&h->seen[slot(pm)], changed, __ATOMIC_RELEASE);
  }
  drain_rfences(v, vmid, false);  // (its own were drained when posted)
  audit_enter(v, vmid);
}

void tlb_exit(struct vcpu *v) {
  audit_exit(v);
  __atomic_store_n(&v->tlb.in_guest, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&me()->guest, NULL, __ATOMIC_RELEASE);
}

void tlb_ipi(struct pmap *pm, uint64_t mask) {
  if (mask == 0)
    return;
  sbi_send_ipi(mask, 0);
  uint64_t n = 0;
  for (uint64_t m = mask; m != 0; m &= m - 1)
    n++;
  COUNT(pm->tlb.c.ipis, n);
}

// ---- Guest RFENCE (SBI spec chapter 8) ----

uint64_t tlb_rfence_post(struct vcpu *caller, struct vcpu *t,
                         struct tlb_range r) {
  struct tlb_vcpu *q = &t->tlb;
  acquire(&q->lock);
  uint64_t ticket = ++q->posted;
  bool full = q->n == TLB_RFENCE_SLOTS;
  if (full)
    q->all = ticket;
  else
    q->q[q->n++] = r;
  audit_rfence(caller, t, r, full);
  release(&q->lock);
  if (t == caller)
    drain_rfences(t, loaded_vmid(), true);   // on our own hart, at once
  return ticket;
}

// Is t in its guest and yet to carry out request `ticket`? (Out of it, it
// carries it out on its way back in.)
static bool rfence_waiting(struct vcpu *t, uint64_t ticket) {
  return __atomic_load_n(&t->tlb.in_guest, __ATOMIC_SEQ_CST) != 0 &&
         __atomic_load_n(&t->tlb.done, __ATOMIC_ACQUIRE) < ticket;
}

void tlb_rfence_wait(struct vcpu *caller, struct vcpu *t, uint64_t ticket) {
  if (t == caller) {
    audit_rfence_done(caller, t);
    return;
  }
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (rfence_waiting(t, ticket)) {
    // t is in its guest on another hart: interrupt it; it carries out
    // the request on its way back in (tlb_enter), or it stays out.
    tlb_ipi(&t->vm->pmap, 1UL << t->tlb.cur_hart);
    do {
      pause();                    // a spin-wait (kernel/riscv.h)
    } while (rfence_waiting(t, ticket));
  }
  audit_rfence_done(caller, t);
}

// ---- Counters ----

void tlb_print_counters(struct vm *vm) {
  struct tlb_counters *c = &vm->pmap.tlb.c;
  printf("counters %s: tlb vmid=%u vmids=%lu flush-all=%lu gfence-local=%lu "
         "gfence-remote=%lu vfence-local=%lu vfence-remote=%lu shootdowns=%lu "
         "ipis=%lu pages-moved=%lu pages-returned=%lu pages-zeroed=%lu "
         "audit-violations=%lu\n",
         vm->name, vm->pmap.tlb.vmid.id, c->vmids, c->flush_all, c->gfence_local,
         c->gfence_remote, c->vfence_local, c->vfence_remote, c->shootdowns,
         c->ipis, c->pages_moved, c->pages_returned, c->pages_zeroed,
         c->audit_violations);
}

void tlb_print_machine(void) {
  printf("counters machine: tlb vmid-bits=%d vmid-gens=%lu audit-built-in=%d "
         "audit-violations=%lu\n", space.bits, space.gens,
         tlb_audit_on ? 1 : 0, audit_violations());
}
