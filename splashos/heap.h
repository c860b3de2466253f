// splashos/heap.h: the shared heap, and where its pages land.
//
// One bump allocator over all the memory after the image: allocations are
// never freed (a SPLASH-2 program allocates its data once, at the start,
// with G_MALLOC, and keeps it to the end).
//
// Placement. On a NUMA machine it matters which node a page sits on: a
// thread's misses to its own node's memory are cheaper than to another's
// (Disco section 2: 300 ns local, 900 ns remote on FLASH). On the bare
// machine a physical address fixes its node, so a bump allocator puts
// everything wherever the heap happens to be. Under Disco it is different:
// SPLASHOS has no virtual memory of its own, and the monitor backs each
// guest-physical page with a machine page only when a virtual CPU first
// touches it, on that CPU's node (Disco section 4.2 and 4.4; lab 4). So
// the application places its data by choosing who touches it first:
//   - splash_touch_share(): each thread zeroes its own contiguous share
//     (data a thread mostly uses itself: its keys, its rows, its blocks);
//   - splash_touch_interleaved(): pages dealt round-robin to the threads
//     (data everyone uses alike).
// Allocation itself touches nothing, so the order is: allocate on one
// hart, then touch (or write the first values) from the owning threads.
#ifndef SPLASHOS_HEAP_H
#define SPLASHOS_HEAP_H

#include "kernel/types.h"

// Give the heap the pages [base, end). Boot hart, before any allocation.
void heap_init(uint64_t base, uint64_t end);

// `bytes` of shared memory, starting on a page boundary, so that no page
// is split between two allocations. The contents are undefined until
// written (touch it to zero it). Any hart may call it; running out of
// memory is fatal (panic with the sizes).
void *splash_alloc(size_t bytes);

// Zero [p, p + bytes) from the calling thread.
void splash_touch(void *p, size_t bytes);

// Zero the calling thread's share of [p, p + bytes): the pages are split
// into contiguous runs, one per thread, as thread_share() splits items.
void splash_touch_share(void *p, size_t bytes);

// Zero every thread_count()-th page of [p, p + bytes), starting with
// page number thread_id().
void splash_touch_interleaved(void *p, size_t bytes);

// Bytes handed out so far, and bytes the heap has in all.
uint64_t heap_used(void);
uint64_t heap_size(void);

#endif
