// splashos/heap.c: the shared heap (see splashos/heap.h).
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "splashos/heap.h"
#include "splashos/thread.h"

// [heap_base, heap_next) is handed out, [heap_next, heap_end) is free.
// The lock is for threads that allocate while running; most programs
// allocate only in init, on the boot hart.
static struct spinlock heap_lock = SPINLOCK_INIT("heap");
static uint64_t heap_base, heap_next, heap_end;

void heap_init(uint64_t base, uint64_t end) {
  heap_base = heap_next = base;
  heap_end = end;
}

// Whole pages only: the page is the unit in which the monitor places
// memory, so two allocations that shared a page could not be placed on
// two different nodes.
void *splash_alloc(size_t bytes) {
  acquire(&heap_lock);
  uint64_t p = heap_next;
  uint64_t size = ALIGN_UP(bytes, PAGE_SIZE);
  if (size > heap_end - p) {
    uint64_t left = heap_end - p;
    release(&heap_lock);
    panic("splash_alloc: out of memory: %lu bytes asked, %lu left",
          (uint64_t)bytes, left);
  }
  heap_next = p + size;
  release(&heap_lock);
  return (void *)p;
}

// Zero n bytes at p, eight at a time where both ends allow. (Written as a
// loop, not memset: kernel/string.c's memset goes a byte at a time.)
void splash_touch(void *p, size_t n) {
  uint8_t *b = p, *end = b + n;
  while (b < end && ((uint64_t)b & 7))
    *b++ = 0;
  for (; b + 8 <= end; b += 8)
    *(uint64_t *)b = 0;
  while (b < end)
    *b++ = 0;
}

// Shares are whole pages (the last one may be short), so that no page is
// first touched by two threads.
void splash_touch_share(void *p, size_t bytes) {
  long pages = (long)((bytes + PAGE_SIZE - 1) / PAGE_SIZE), lo, hi;
  thread_share(pages, thread_id(), &lo, &hi);
  uint64_t from = lo * PAGE_SIZE, to = hi * PAGE_SIZE;
  if (to > bytes)
    to = bytes;
  if (from < to)
    splash_touch((uint8_t *)p + from, to - from);
}

// Page k goes to thread k mod nthreads, like an interleaved memory policy
// (Linux's MPOL_INTERLEAVE) would place it.
void splash_touch_interleaved(void *p, size_t bytes) {
  for (uint64_t off = thread_id() * PAGE_SIZE; off < bytes;
       off += thread_count() * PAGE_SIZE) {
    uint64_t n = bytes - off < PAGE_SIZE ? bytes - off : PAGE_SIZE;
    splash_touch((uint8_t *)p + off, n);
  }
}

uint64_t heap_used(void) { return heap_next - heap_base; }
uint64_t heap_size(void) { return heap_end - heap_base; }
