// guest-os/page.c: the physical page allocator (see guest-os/page.h).
//
// Free memory is every page of RAM (guest-os/machine.c: the device tree's
// memory nodes) that is not reserved (firmware, the kernel image, the
// device tree). Pages come from three places, tried in this order:
//
//   kept       pages that were allocated once and given back, linked
//              through their first word;
//   returned   (under Disco-V only) pages given back to the monitor, one
//              bit each in a bitmap per RAM range;
//   fresh      for each RAM range, the first page never handed out;
//              everything from there to the range's end is untouched.
//
// Fresh pages are carved on demand, not threaded on a list at boot,
// because of the monitor: in a Disco-V VM, guest memory is backed by
// machine memory lazily, on first touch (Disco 4.2.2). A kernel that
// wrote to every free page at boot would touch all of its memory before
// running a single process, and the monitor would have to back it all.
// Carving on demand touches a page only when somebody needs it, so a VM's
// footprint is what its programs use.
//
// Under Disco-V the allocator also talks to the monitor, as Disco's IRIX
// did (Disco 4.3; hyp/sbi/vsbi_disco.c). Each call is a trap, so it does
// so only where that saves work:
//   - a freed page is kept (no call) while fewer than keep_max pages are
//     kept (see KEEP_FRACTION), and only beyond that given back with
//     page_free, so that the monitor can take its machine page; its
//     contents are gone then, which is why returned pages sit in a bitmap
//     and not on the list;
//   - a returned or fresh page has no machine page behind it, so the
//     kernel asks for it with page_zero: the monitor zeroes the machine
//     page it gives (it must: a VM never sees another's data) and the
//     kernel need not zero it again, nor fault on it first.
// On bare hardware, or under a monitor without the extension, sbi_probe
// says no, and the same code keeps every freed page and zeroes its own.
#include "guest-os/bcache.h"
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/sbi.h"
#include "kernel/spinlock.h"

// Kept pages: at most a sixteenth of free memory at boot (a 64 MiB VM
// keeps 4 MiB of freed pages to reuse without a trap), or what the boot
// argument keep-pages=N says (0: every freed page goes back at once).
// The boot argument monitor-calls=0 makes the kernel act as if the
// monitor had no extension (to measure what the calls cost and save).
#define KEEP_FRACTION 16

// A kept page, seen through its first word.
struct free_page {
  struct free_page *next;
};

static struct spinlock page_lock = SPINLOCK_INIT("pages");
static struct free_page *kept;            // kept pages
static uint64_t nkept, keep_max;
static uint64_t first[MAX_MEMRANGES];     // per RAM range: its first page
static uint64_t fresh[MAX_MEMRANGES];     // per RAM range: next untouched
static uint64_t *returned[MAX_MEMRANGES]; // per RAM range: bit k set = page
                                          //   first + k pages returned
static uint64_t first_word[MAX_MEMRANGES];  // no set bit below this word
static uint64_t nreturned;                // set bits, all ranges
static uint64_t nfree;                    // pages page_alloc can hand out
static uint64_t in_use, peak;             // pages handed out now, and at most
static bool monitor_calls;                // the Disco extension is there

// Is pa the start of a page we may hand out?
static bool usable(uint64_t pa) {
  if (pa % PAGE_SIZE != 0 || machine_reserved(pa))
    return false;
  for (int i = 0; i < machine.nram; i++)
    if (machine.ram[i].base <= pa && pa + PAGE_SIZE <= machine.ram[i].end)
      return true;
  return false;
}

// A fresh page from range i, skipping reserved ones, or 0 if the range is
// used up. Caller holds page_lock (or is page_init).
static uint64_t carve(int i) {
  while (fresh[i] + PAGE_SIZE <= machine.ram[i].end) {
    uint64_t pa = fresh[i];
    fresh[i] += PAGE_SIZE;
    if (!machine_reserved(pa))
      return pa;
  }
  return 0;
}

// The 64-bit words of range i's bitmap.
static uint64_t range_words(int i) {
  return ((machine.ram[i].end - first[i]) / PAGE_SIZE + 63) / 64;
}

// Carve range i's bitmap of returned pages from the range itself, and
// zero it. Its pages must be contiguous: carve skips reserved pages, so
// we check.
static void make_bitmap(int i) {
  uint64_t pages = ALIGN_UP(range_words(i) * 8, PAGE_SIZE) / PAGE_SIZE;
  for (uint64_t k = 0; k < pages; k++) {
    uint64_t pa = carve(i);
    if (pa == 0 || (k > 0 && pa != (uint64_t)returned[i] + k * PAGE_SIZE))
      panic("page_init: no room for the returned-page bitmap of RAM range %d", i);
    if (k == 0)
      returned[i] = (uint64_t *)pa;
    page_zero((void *)pa);
    nfree--;
  }
}

void page_init(void) {
  // Only counting: no free page is written here (but the bitmaps).
  for (int i = 0; i < machine.nram; i++) {
    first[i] = ALIGN_UP(machine.ram[i].base, PAGE_SIZE);
    fresh[i] = first[i];
    for (uint64_t pa = fresh[i]; pa + PAGE_SIZE <= machine.ram[i].end;
         pa += PAGE_SIZE)
      nfree += usable(pa);
  }
  monitor_calls = machine_bootarg_num("monitor-calls", 1) != 0 &&
                  sbi_probe(SBI_EXT_DISCO);
  long keep = (long)(nfree / KEEP_FRACTION);
  keep_max = (uint64_t)machine_bootarg_num("keep-pages", keep);
  if (monitor_calls)
    for (int i = 0; i < machine.nram; i++)
      make_bitmap(i);
}

bool page_monitor_calls(void) { return monitor_calls; }

// Take the lowest returned page, or 0 if none is. Caller holds page_lock.
static uint64_t take_returned(void) {
  if (nreturned == 0)
    return 0;
  for (int i = 0; i < machine.nram; i++) {
    for (uint64_t w = first_word[i]; w < range_words(i); w++) {
      uint64_t bits = returned[i][w];
      if (bits == 0)
        continue;
      int b = 0;                  // its lowest set bit
      while (!(bits & (1UL << b)))
        b++;
      returned[i][w] = bits & ~(1UL << b);
      first_word[i] = w;
      nreturned--;
      return first[i] + (w * 64 + (uint64_t)b) * PAGE_SIZE;
    }
    first_word[i] = range_words(i);
  }
  panic("page_alloc: %lu pages returned, none in the bitmaps", nreturned);
}

uint64_t page_alloc(void) {
  acquire(&page_lock);
  uint64_t pa = (uint64_t)kept;
  bool ours = pa != 0;                  // backed, with old contents
  if (ours) {
    kept = kept->next;
    nkept--;
  } else {
    pa = take_returned();
    for (int i = 0; i < machine.nram && pa == 0; i++)
      pa = carve(i);
  }
  if (pa != 0) {
    nfree--;
    if (++in_use > peak)
      peak = in_use;
  }
  release(&page_lock);
  if (pa == 0)
    return 0;
  // Zero outside the lock: the page is ours alone now.
  if (ours || !monitor_calls ||
      sbi_call(SBI_EXT_DISCO, SBI_DISCO_PAGE_ZERO, pa, 0, 0, 0, 0, 0).error != 0)
    page_zero((void *)pa);
  return pa;
}

// Mark pa returned (given back to the monitor). Caller holds page_lock.
static void mark_returned(uint64_t pa) {
  int i = 0;
  while (!(first[i] <= pa && pa < machine.ram[i].end))
    i++;
  uint64_t n = (pa - first[i]) / PAGE_SIZE;
  uint64_t bit = 1UL << (n % 64);
  if (pa >= fresh[i] || (returned[i][n / 64] & bit))
    panic("page_free: %p is free already", (void *)pa);
  returned[i][n / 64] |= bit;
  if (n / 64 < first_word[i])
    first_word[i] = n / 64;
  nreturned++;
}

void page_free(uint64_t pa) {
  if (!usable(pa))
    panic("page_free: %p is not a free-RAM page", (void *)pa);
  acquire(&page_lock);
  if (!monitor_calls || nkept < keep_max) {
    struct free_page *fp = (struct free_page *)pa;
    fp->next = kept;
    kept = fp;
    nkept++;
    nfree++;
    in_use--;
    release(&page_lock);
    return;
  }
  release(&page_lock);
  // Give it back, outside the lock (the call is a trap, and a shootdown):
  // no other hart can take pa meanwhile, since it is on no list yet.
  sbi_call(SBI_EXT_DISCO, SBI_DISCO_PAGE_FREE, pa, 0, 0, 0, 0, 0);
  acquire(&page_lock);
  mark_returned(pa);
  nfree++;
  in_use--;
  release(&page_lock);
}

uint64_t page_free_count(void) {
  return __atomic_load_n(&nfree, __ATOMIC_RELAXED);
}

void page_print_stats(void) {
  extern char _entry[], _image_end[];     // guest-os/kernel.ld
  uint64_t image = (uint64_t)(_image_end - _entry) / PAGE_SIZE;
  acquire(&page_lock);
  uint64_t now = in_use, most = peak, k = nkept;
  release(&page_lock);
  printf("guest-os: memory image-pages=%lu peak-pages=%lu pages=%lu kept=%lu bcache=%d\n",
         image, most, now, k, bcache_pages());
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
