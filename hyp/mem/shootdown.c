// hyp/mem/shootdown.c: G-stage shootdowns, and taking a machine page away
// from every VM that maps it (see hyp/mem/tlb.h).
//
// Disco's monitor, when it took a machine page away from a VM, used the
// pmap's back pointers to find every TLB entry of that page and shot it
// down (Disco 4.2.2-4.2.3). Ours cannot reach into another hart's TLB:
// that hart must fence it itself. So a change goes in three steps:
//
//   1. the caller changes the G-stage entry (under pm->lock) and lets go;
//   2. tlb_shootdown advances the VM's change epoch, fences this hart, and
//      interrupts every hart that is in the VM's guest now; each one fences
//      on its way back in (tlb_enter sees its epoch is behind), and we wait
//      until each has, or has left the guest;
//   3. the caller may now reuse the old machine page: a hart that is not in
//      the guest may still cache the old entry, but it fences before it
//      next enters (same epoch check), and it never uses guest translations
//      in between.
#include "hyp/mem/backmap.h"
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/mem/tlb.h"
#include "hyp/mem/tlb_audit.h"
#include "hyp/mem/pmap.h"
#include "hyp/vm/vm.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

#define COUNT(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

// Raise pm's change epoch to a new machine-wide value; returns it. *before
// gets the epoch it replaced, and *won whether it did (false when another
// change raised it past ours meanwhile). Epochs of one pmap only grow,
// even when two harts change it at once.
__attribute__((unused))    // (unused only in the lab 2 handout)
static uint64_t new_epoch(struct pmap *pm, uint64_t *before, bool *won) {
  uint64_t e = __atomic_add_fetch(&tlb_epoch, 1, __ATOMIC_SEQ_CST);
  uint64_t old = __atomic_load_n(&pm->tlb.changed, __ATOMIC_SEQ_CST);
  while (old < e && !__atomic_compare_exchange_n(&pm->tlb.changed, &old, e, false,
                                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    ;
  *before = old;
  *won = old < e;
  return e;
}

// Wait until hart h has fenced pm's changes up to epoch e, or is out of
// pm's guest: a spin-wait, with a pause() (kernel/riscv.h) in each round.
__attribute__((unused))    // (unused only in the lab 2 handout)
static void wait_fenced(struct pmap *pm, int h, uint64_t e) {
  struct tlb_hart *t = &tlb_harts[h];
  do {
    pause();
  } while (__atomic_load_n(&t->guest, __ATOMIC_SEQ_CST) == pm &&
           __atomic_load_n(&t->seen[pm->owner - 1], __ATOMIC_ACQUIRE) < e);
}

void tlb_shootdown(struct pmap *pm, uint64_t gpa) {
  audit_pmap_change(pm, gpa);
  COUNT(pm->tlb.c.shootdowns, 1);
  // BEGIN LAB 2: make every hart drop pm's old translation of gpa
  uint64_t before;
  bool won;
  uint64_t e = new_epoch(pm, &before, &won);
  int me = (int)hart_id();
  uint64_t *seen = &tlb_harts[me].seen[pm->owner - 1];
  // This hart: fence the one address now (we are not in the guest). If it
  // had caught up with every change before this one, it is now caught up
  // with this one too, and needs no VMID-wide fence when it next enters.
  tlb_fence_gvma(gpa, pm->tlb.vmid.id);
  COUNT(pm->tlb.c.gfence_local, 1);
  if (won && *seen >= before)
    __atomic_store_n(seen, e, __ATOMIC_RELEASE);
  // The harts in pm's guest now: interrupt them, then wait for each to
  // fence (its epoch reaches e) or to be out of the guest.
  uint64_t mask = 0;
  for (int i = 0; i < machine.nharts; i++) {
    int h = (int)machine.harts[i].id;
    if (h != me && __atomic_load_n(&tlb_harts[h].guest, __ATOMIC_SEQ_CST) == pm &&
        __atomic_load_n(&tlb_harts[h].seen[pm->owner - 1], __ATOMIC_ACQUIRE) < e)
      mask |= 1UL << h;
  }
  tlb_ipi(pm, mask);
  for (int h = 0; h < MAX_HARTS; h++)
    if (mask & (1UL << h))
      wait_fenced(pm, h, e);
  // END LAB 2
  // STUB LAB 2: panic("lab 2: tlb_shootdown not implemented");
  audit_page_reuse(pm, gpa);
}

int memmap_unmap_page(uint64_t pa) {
  struct memmap_entry *e = memmap_lookup(pa);
  if (e == NULL)
    panic("memmap_unmap_page: %p is not machine memory", (void *)pa);
  int removed = 0;
  uint16_t vm, last_vm = 0;
  uint64_t gpa, last_gpa = 0;
  // Each round takes one mapping off e's list: we remove it, or another
  // hart did between our look and our remove (the VM gave the page up
  // itself); that hart then holds its reference, and we do not count it.
  // Either way the list is shorter, so this ends.
  while (memmap_backmap_first(e, &vm, &gpa) == 0) {
    if (vm < 1 || vm > MAX_VMS)
      panic("memmap_unmap_page: %p mapped by VM %d", (void *)pa, vm);
    if (pmap_remove_page(&vms[vm - 1].pmap, gpa, pa) == pa) {
      removed++;
    } else if (vm == last_vm && gpa == last_gpa) {
      panic("memmap_unmap_page: VM %d gpa %p: the back-mapping says %p, "
            "the pmap says otherwise", vm, (void *)gpa, (void *)pa);
    }
    last_vm = vm;
    last_gpa = gpa;
  }
  return removed;
}
