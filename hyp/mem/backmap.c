// hyp/mem/backmap.c: back-mapping records (see hyp/mem/backmap.h).
//
// The records are small and many (one per mapped guest page), so they are
// carved out of whole machine pages, a page at a time, and kept on a free
// list: a tiny slab allocator.
#include "hyp/mem/backmap.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"

static struct backmap *free_records;
static struct spinlock backmap_lock = SPINLOCK_INIT("backmap");

// Refill the free list with one machine page's worth of records. The
// page comes from the records' own reservation (OWNER_BACKMAP, on
// BACKMAP_NODE: see backmap_pages_for), which every admitted VM adds to,
// so a VM's guest-page fault never fails for want of a record. Called
// with backmap_lock held. Returns 0, or -1 when memory is gone.
static int refill(void) {
  uint64_t pa = memmap_alloc(BACKMAP_NODE, OWNER_BACKMAP);
  if (pa == 0)
    return -1;
  struct backmap *b = (struct backmap *)pa;
  for (uint64_t i = 0; i < PAGE_SIZE / sizeof(*b); i++) {
    b[i].next = free_records;
    free_records = &b[i];
  }
  return 0;
}

uint64_t backmap_pages_for(uint64_t records) {
  uint64_t per_page = PAGE_SIZE / sizeof(struct backmap);
  return (records + per_page - 1) / per_page;
}

int memmap_backmap_add(struct memmap_entry *e, uint16_t vm, uint64_t gpa) {
  // BEGIN LAB 1: take a record off free_records, push it on e->backmaps
  acquire(&backmap_lock);
  if (free_records == NULL && refill() < 0) {
    release(&backmap_lock);
    return -1;
  }
  struct backmap *b = free_records;
  free_records = b->next;
  b->vm = vm;
  b->gpa = gpa;
  b->next = e->backmaps;
  e->backmaps = b;
  release(&backmap_lock);
  return 0;
  // END LAB 1
  // STUB LAB 1: panic("lab 1: memmap_backmap_add not implemented");
}

int memmap_backmap_remove(struct memmap_entry *e, uint16_t vm, uint64_t gpa) {
  // BEGIN LAB 1: unlink the record of (vm, gpa), put it on free_records
  acquire(&backmap_lock);
  for (struct backmap **pp = &e->backmaps; *pp != NULL; pp = &(*pp)->next) {
    struct backmap *b = *pp;
    if (b->vm == vm && b->gpa == gpa) {
      *pp = b->next;
      b->next = free_records;
      free_records = b;
      release(&backmap_lock);
      return 0;
    }
  }
  release(&backmap_lock);
  return -1;
  // END LAB 1
  // STUB LAB 1: panic("lab 1: memmap_backmap_remove not implemented");
}

int memmap_backmap_first(struct memmap_entry *e, uint16_t *vm, uint64_t *gpa) {
  acquire(&backmap_lock);
  struct backmap *b = e->backmaps;
  if (b != NULL) {
    *vm = b->vm;
    *gpa = b->gpa;
  }
  release(&backmap_lock);
  return b != NULL ? 0 : -1;
}

int memmap_backmap_count(struct memmap_entry *e) {
  int n = 0;
  acquire(&backmap_lock);
  for (struct backmap *b = e->backmaps; b != NULL; b = b->next)
    n++;
  release(&backmap_lock);
  return n;
}
