// guest-os/page.c: the physical page allocator (see guest-os/page.h).
//
// Free memory is every page of RAM (guest-os/machine.c: the device tree's
// memory nodes) that is not reserved (firmware, the kernel image, the
// device tree). Pages come from two places:
//
//   returned   a list of pages that were allocated once and given back,
//              linked through their first word;
//   fresh      for each RAM range, the first page never handed out;
//              everything from there to the range's end is untouched.
//
// page_alloc() prefers a returned page and carves a fresh one only when
// there is none. The reason is the monitor: in a Disco-V VM, guest memory
// is backed by machine memory lazily, on first touch (Disco 4.2.2). A
// kernel that threaded a free list through every page at boot would touch
// all of its memory before running a single process, and the monitor
// would have to back it all. Carving on demand touches a page only when
// somebody needs it, so a VM's footprint is what its programs use.
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"

// A returned page, seen through its first word.
struct free_page {
  struct free_page *next;
};

static struct spinlock page_lock = SPINLOCK_INIT("pages");
static struct free_page *returned;        // given-back pages
static uint64_t fresh[MAX_MEMRANGES];     // per RAM range: next untouched
static uint64_t nfree;                    // pages page_alloc can hand out

// Is pa the start of a page we may hand out?
static bool usable(uint64_t pa) {
  if (pa % PAGE_SIZE != 0 || machine_reserved(pa))
    return false;
  for (int i = 0; i < machine.nram; i++)
    if (machine.ram[i].base <= pa && pa + PAGE_SIZE <= machine.ram[i].end)
      return true;
  return false;
}

void page_init(void) {
  // Only counting: not one free page is written here (see above).
  for (int i = 0; i < machine.nram; i++) {
    fresh[i] = ALIGN_UP(machine.ram[i].base, PAGE_SIZE);
    for (uint64_t pa = fresh[i]; pa + PAGE_SIZE <= machine.ram[i].end;
         pa += PAGE_SIZE)
      nfree += usable(pa);
  }
}

// A fresh page from range i, skipping reserved ones, or 0 if the range is
// used up. Caller holds page_lock.
static uint64_t carve(int i) {
  while (fresh[i] + PAGE_SIZE <= machine.ram[i].end) {
    uint64_t pa = fresh[i];
    fresh[i] += PAGE_SIZE;
    if (!machine_reserved(pa))
      return pa;
  }
  return 0;
}

uint64_t page_alloc(void) {
  uint64_t pa = 0;
  acquire(&page_lock);
  if (returned != NULL) {
    pa = (uint64_t)returned;
    returned = returned->next;
  } else {
    for (int i = 0; i < machine.nram && pa == 0; i++)
      pa = carve(i);
  }
  if (pa != 0)
    nfree--;
  release(&page_lock);
  // Zero outside the lock: the page is ours alone now.
  if (pa != 0)
    page_zero((void *)pa);
  return pa;
}

void page_free(uint64_t pa) {
  if (!usable(pa))
    panic("page_free: %p is not a free-RAM page", (void *)pa);
  struct free_page *fp = (struct free_page *)pa;
  acquire(&page_lock);
  fp->next = returned;
  returned = fp;
  nfree++;
  release(&page_lock);
}

uint64_t page_free_count(void) {
  return __atomic_load_n(&nfree, __ATOMIC_RELAXED);
}

void page_zero(void *page) {
  uint64_t *w = page;
  for (size_t i = 0; i < PAGE_SIZE / 8; i++)
    w[i] = 0;
}

void page_copy(void *dst, const void *src) {
  uint64_t *d = dst;
  const uint64_t *s = src;
  for (size_t i = 0; i < PAGE_SIZE / 8; i++)
    d[i] = s[i];
}
