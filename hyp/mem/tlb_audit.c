// hyp/mem/tlb_audit.c: the software TLB auditor (see hyp/mem/tlb_audit.h).
//
// What it models. A real hart may keep, for as long as it likes, any
// translation it has used since its last fence that covers it: its
// "address-translation cache" (privileged spec 4.3.2; 8.5.1 applies the
// same algorithm to the G stage, and 8.3.2 gives the HFENCEs).
// The model keeps, per hart, a few records, one per VMID the hart has
// entered a guest with since its last whole flush:
//
//   space     which address space (pmap) that VMID meant then
//   stale     G-stage: guest pages whose mapping changed since the hart
//             last fenced them (up to AUDIT_STALE of them, then "all")
//   vs        VS-stage: whose (which vCPU's) translations it holds
//
// and per vCPU the RFENCE ranges it was asked for and has not had fenced,
// with who asked. Updated on every guest entry (audit_enter), every fence
// the monitor runs (audit_gvma, audit_vvma), every change of a mapping
// (audit_pmap_change). Before a hart enters a guest it checks, and reports
// a violation (hart, VMID, gpa) when:
//
//   1. the VMID's record is of another address space: a VMID reused
//      without a flush (the new VM could use the old VM's entries);
//   2. a page of this space changed, its shootdown has returned, and this
//      hart has not fenced it since;
//   3. the VS translations cached here under this VMID are another vCPU's,
//      or this vCPU's from before it ran on another hart;
//   4. the entering vCPU has RFENCE ranges not yet fenced, whose
//      requester's call has returned.
//
// A change whose shootdown (or RFENCE) is still under way does not count
// at an entry: the hart is then one the shootdown waits for. It counts at
// the moment the shootdown returns (audit_page_reuse, audit_rfence_done):
// then no hart may be in that guest with it stale, and after that every
// hart must have fenced it before it enters.
//
// What it does not model: a page fence that covers the middle of an
// RFENCE range, not its front (the monitor fences ranges page by page from
// the front, and the front is what the model tracks); negative caching (an
// invalid entry cached, then made valid: the guest faults again and
// pmap_fault fences, so it costs time, never correctness); the monitor's
// own HLV/HLVX reads of guest memory; icache (fence.i); the moment between
// a fence and the report of it (the monitor reports right after, on the
// same hart, with nothing in the guest between). With more than
// AUDIT_RECORDS VMIDs on one hart between whole flushes it drops a record,
// preferring one whose space is no longer running, and counts it.
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/tlb_audit.h"
#include "hyp/mem/pmap.h"
#include "hyp/cpu/vcpu.h"
#include "hyp/vm/vm.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

#ifndef TLB_AUDIT
#define TLB_AUDIT 0
#endif
const bool tlb_audit_on = TLB_AUDIT;

#define AUDIT_RECORDS 16
#define AUDIT_STALE 8
// A change still being shot down is "pending": a hart may enter the guest
// with it stale meanwhile (the shootdown waits for that hart), so only
// changes whose shootdown has returned count at a guest entry. Pending is
// bit 0 of a stale gpa (pages are aligned) and bit 63 of an RFENCE
// requester id.
#define PENDING 1UL
#define FROM_PENDING (1UL << 63)

struct record {
  bool used;
  uint16_t vmid;
  uint64_t space;          // tlb_space.audit_id
  bool g;                  // may hold G-stage entries
  int nstale;
  int stale_all;           // too many to list: 0 no, 1 pending, 2 done
  uint64_t stale[AUDIT_STALE];   // gpa | PENDING
  struct vcpu *vs;         // whose VS entries it may hold, or NULL
};

struct audit_hart {
  struct record rec[AUDIT_RECORDS];
  struct vcpu *in_guest;   // the vCPU in the guest on it now
  struct vcpu *loaded;     // the vCPU whose VS state it has
};

static struct spinlock audit_lock = SPINLOCK_INIT("tlb audit");
static struct audit_hart ah[MAX_HARTS];
static uint64_t violations, evictions;

uint64_t audit_violations(void) { return violations; }

static void violation(struct pmap *pm, int hart, uint16_t vmid, uint64_t gpa,
                      const char *what) {
  violations++;
  if (pm != NULL)
    pm->tlb.c.audit_violations++;
  printf("tlb-audit: VIOLATION hart=%d vmid=%u gpa=%p vm=%d: %s\n", hart, vmid,
         (void *)gpa, pm != NULL ? pm->owner : 0, what);
}

// The record for vmid on hart h, or NULL.
static struct record *find(struct audit_hart *h, uint16_t vmid) {
  for (int i = 0; i < AUDIT_RECORDS; i++)
    if (h->rec[i].used && h->rec[i].vmid == vmid)
      return &h->rec[i];
  return NULL;
}

// A free record on h, dropping one if none is.
static struct record *new_record(struct audit_hart *h) {
  for (int i = 0; i < AUDIT_RECORDS; i++)
    if (!h->rec[i].used || (!h->rec[i].g && h->rec[i].vs == NULL))
      return &h->rec[i];
  evictions++;
  for (int i = 0; i < AUDIT_RECORDS; i++) {
    bool running = false;
    for (int j = 0; j < MAX_VMS; j++)
      if (vms[j].state == VM_RUNNING && vms[j].pmap.tlb.audit_id == h->rec[i].space)
        running = true;
    if (!running)
      return &h->rec[i];
  }
  return &h->rec[0];
}

// Forget RFENCE range k of v (fenced, or reported).
static void drop_range(struct vcpu *v, int k) {
  int last = v->tlb.audit_n - 1;
  v->tlb.audit_q[k] = v->tlb.audit_q[last];
  v->tlb.audit_from[k] = v->tlb.audit_from[last];
  v->tlb.audit_n--;
}

void audit_load(struct vcpu *v) {
  if (!tlb_audit_on)
    return;
  acquire(&audit_lock);
  ah[hart_id()].loaded = v;
  release(&audit_lock);
}

void audit_enter(struct vcpu *v, uint16_t vmid) {
  if (!tlb_audit_on)
    return;
  int hart = (int)hart_id();
  struct audit_hart *h = &ah[hart];
  struct pmap *pm = &v->vm->pmap;
  uint64_t space = pm->tlb.audit_id;
  acquire(&audit_lock);
  struct record *r = find(h, vmid);
  if (r != NULL && r->g && r->space != space)
    violation(pm, hart, vmid, 0, "VMID reused without a G-stage flush");
  else if (r != NULL && r->vs != NULL && r->space != space)
    violation(pm, hart, vmid, 0, "VMID reused without a VS-stage flush");
  if (r != NULL && r->space == space && r->g) {
    uint64_t gpa = r->stale_all == 2 ? 1 : 0;
    for (int k = 0; k < r->nstale && gpa == 0; k++)
      if (!(r->stale[k] & PENDING))
        gpa = r->stale[k];
    if (gpa != 0)
      violation(pm, hart, vmid, gpa & ~PENDING,
                "G-stage translation changed since this hart last fenced it");
  }
  if (r != NULL && r->space == space && r->vs != NULL &&
      (r->vs != v || v->tlb.audit_hart != hart + 1))
    violation(pm, hart, vmid, 0, r->vs != v
              ? "VS-stage translations of another vCPU of this VM"
              : "VS-stage translations from before the vCPU ran on another hart");
  bool due = v->tlb.audit_all == 2;
  uint64_t va = 0;
  for (int k = 0; k < v->tlb.audit_n; k++)
    if (!(v->tlb.audit_from[k] & FROM_PENDING)) {
      due = true;
      va = v->tlb.audit_q[k].start;
    }
  if (due)
    violation(pm, hart, vmid, va,
              "an RFENCE range for this vCPU was not fenced before it ran");
  if (r == NULL || r->space != space) {
    if (r == NULL)
      r = new_record(h);
    memset(r, 0, sizeof(*r));
    r->used = true;
    r->vmid = vmid;
    r->space = space;
  }
  r->g = true;
  // What was reported is forgotten; what is pending stays.
  for (int k = 0; k < r->nstale; k++)
    if (!(r->stale[k] & PENDING))
      r->stale[k--] = r->stale[--r->nstale];
  if (r->stale_all == 2)
    r->stale_all = 0;
  r->vs = v;
  for (int k = 0; k < v->tlb.audit_n; k++)
    if (!(v->tlb.audit_from[k] & FROM_PENDING))
      drop_range(v, k--);
  if (v->tlb.audit_all == 2)
    v->tlb.audit_all = 0;
  v->tlb.audit_hart = hart + 1;
  h->in_guest = v;
  release(&audit_lock);
}

void audit_exit(struct vcpu *v) {
  if (!tlb_audit_on)
    return;
  acquire(&audit_lock);
  ah[hart_id()].in_guest = NULL;
  release(&audit_lock);
}

void audit_gvma(uint64_t gpa, uint64_t vmid) {
  if (!tlb_audit_on)
    return;
  struct audit_hart *h = &ah[hart_id()];
  acquire(&audit_lock);
  for (int i = 0; i < AUDIT_RECORDS; i++) {
    struct record *r = &h->rec[i];
    if (!r->used || (vmid != AUDIT_ALL && r->vmid != vmid))
      continue;
    if (gpa == AUDIT_ALL) {
      r->g = false;
      r->nstale = 0;
      r->stale_all = 0;
      continue;
    }
    for (int k = 0; k < r->nstale; k++)
      if ((r->stale[k] & ~PENDING) == ALIGN_DOWN(gpa, PAGE_SIZE))
        r->stale[k--] = r->stale[--r->nstale];
  }
  release(&audit_lock);
}

void audit_vvma(uint64_t va, uint64_t size, uint64_t asid, uint16_t vmid) {
  if (!tlb_audit_on)
    return;
  struct audit_hart *h = &ah[hart_id()];
  bool all = size == ~0UL && asid == AUDIT_ALL;
  acquire(&audit_lock);
  struct record *r = find(h, vmid);
  if (r != NULL && all)
    r->vs = NULL;
  // The RFENCE ranges of the vCPU loaded here that this fence covers. (A
  // VS-stage fence acts for the VMID in hgatp, which is the loaded vCPU's
  // whatever its pmap's VMID has become since: a rollover on another hart
  // may have changed that already.)
  struct vcpu *v = h->loaded;
  if (v != NULL) {
    if (all) {
      v->tlb.audit_all = 0;
      v->tlb.audit_from_all = 0;
    }
    for (int k = 0; k < v->tlb.audit_n; k++) {
      struct tlb_range *q = &v->tlb.audit_q[k];
      if (asid != AUDIT_ALL && asid != q->asid)
        continue;
      if (size == ~0UL) {
        drop_range(v, k--);
        continue;
      }
      // A fence of [va, va + size) that covers the range's first byte
      // fences its front; the rest stays owed (the monitor fences a range
      // page by page, in order, so the front moves up to the end).
      if (q->size == ~0UL || q->start < va || q->start - va >= size)
        continue;
      uint64_t done = va + size - q->start;
      if (done >= q->size) {
        drop_range(v, k--);
      } else {
        q->start += done;
        q->size -= done;
      }
    }
  }
  release(&audit_lock);
}

void audit_pmap_change(struct pmap *pm, uint64_t gpa) {
  if (!tlb_audit_on)
    return;
  acquire(&audit_lock);
  for (int k = 0; k < machine.nharts; k++) {
    struct audit_hart *h = &ah[machine.harts[k].id];
    for (int i = 0; i < AUDIT_RECORDS; i++) {
      struct record *r = &h->rec[i];
      if (!r->used || !r->g || r->space != pm->tlb.audit_id)
        continue;
      if (r->nstale < AUDIT_STALE)
        r->stale[r->nstale++] = ALIGN_DOWN(gpa, PAGE_SIZE) | PENDING;
      else
        r->stale_all = 1;
    }
  }
  release(&audit_lock);
}

void audit_page_reuse(struct pmap *pm, uint64_t gpa) {
  if (!tlb_audit_on)
    return;
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  acquire(&audit_lock);
  for (int k = 0; k < machine.nharts; k++) {
    int hart = (int)machine.harts[k].id;
    struct audit_hart *h = &ah[hart];
    bool in_guest = h->in_guest != NULL && &h->in_guest->vm->pmap == pm;
    for (int i = 0; i < AUDIT_RECORDS; i++) {
      struct record *r = &h->rec[i];
      if (!r->used || !r->g || r->space != pm->tlb.audit_id)
        continue;
      bool stale = r->stale_all != 0;
      for (int j = 0; j < r->nstale; j++)
        if ((r->stale[j] & ~PENDING) == gpa) {
          stale = true;
          r->stale[j] &= ~PENDING;      // shot down: counts from now on
        }
      if (r->stale_all == 1)
        r->stale_all = 2;
      if (stale && in_guest && h->in_guest->tlb.audit_hart == hart + 1)
        violation(pm, hart, r->vmid, gpa,
                  "old page reused while a hart in the guest may still map it");
    }
  }
  release(&audit_lock);
}

void audit_rfence(struct vcpu *from, struct vcpu *t, struct tlb_range r,
                  bool all) {
  if (!tlb_audit_on)
    return;
  if (!all && r.size == 0)
    return;                       // a range of nothing: nothing owed
  acquire(&audit_lock);
  if (!all && t->tlb.audit_n < TLB_RFENCE_SLOTS) {
    t->tlb.audit_q[t->tlb.audit_n] = r;
    t->tlb.audit_from[t->tlb.audit_n] = (uint64_t)from->id | FROM_PENDING;
    t->tlb.audit_n++;
  } else {
    t->tlb.audit_all = 1;
    t->tlb.audit_from_all |= 1UL << from->id;
  }
  release(&audit_lock);
}

void audit_rfence_done(struct vcpu *from, struct vcpu *t) {
  if (!tlb_audit_on)
    return;
  acquire(&audit_lock);
  bool left = false;
  for (int k = 0; k < t->tlb.audit_n; k++)
    if (t->tlb.audit_from[k] == ((uint64_t)from->id | FROM_PENDING)) {
      t->tlb.audit_from[k] &= ~FROM_PENDING;
      left = true;
    }
  if (t->tlb.audit_all && (t->tlb.audit_from_all & (1UL << from->id))) {
    t->tlb.audit_all = 2;
    left = true;
  }
  // In its guest now, with the range not fenced: the call returned early.
  bool running = false;
  for (int k = 0; k < machine.nharts; k++)
    if (ah[machine.harts[k].id].in_guest == t)
      running = true;
  if (left && running && t != from)
    violation(&t->vm->pmap, t->tlb.cur_hart, t->vm->pmap.tlb.vmid.id, 0,
              "RFENCE returned before a target in its guest had fenced");
  release(&audit_lock);
}
