// hyp/mem/blockcache.h: one copy in machine memory of every disk block a
// VM has read (lab 3, Disco 4.2.5 "Transparent page sharing").
//
// Disco's monitor saw every disk DMA. When a VM read a block some VM had
// read before, the monitor did not read it again: it mapped the machine
// page that already held the block, read-only, at the guest page the DMA
// was for, and a VM that wrote to the page got a private copy (copy on
// write). Eight VMs booted from one disk then shared one copy of the
// kernel, the programs and the file cache.
//
// This is the index of those pages: disk block number -> machine page
// (and guest image pages, below).
// A block is 4 KiB of the machine's real disk (sectors 8b .. 8b + 7), so
// the key is the same whichever VM reads it: two VMs whose disks are one
// base image (hyp/dev/vvirtio_blk.h, disk-mode "cow") read the same
// blocks. The index is a sorted table searched by bisection (Disco used
// a B-tree; a sorted array is the same idea with one level, and easy to
// read): lookups are log n, an insert or a removal moves the entries
// after it, which at a few thousand entries costs less than the 4 KiB
// copy it saves.
//
// The pages belong to OWNER_SHARED (hyp/mem/memmap.h) and are never
// written once filled: every mapping of one is read-only, and a write
// makes a private copy (pmap_cow). Each holds one reference for the
// index, and one per mapping or disk request using it; so a page whose
// reference count is 1 is held by the index alone and may be evicted.
// When memory runs short (no unreserved page, or fewer than a slack), or
// the table is full, the cache evicts such pages, a clock hand sweeping
// the table. A page the index forgets (a write to its block, below) stays
// alive as long as some VM maps it: it still holds what that VM read.
//
// Consistency with the disk: the index must never hold an old copy of a
// block after someone wrote the block. So every write the monitor starts
// on the real disk forgets the blocks it touches first (blockcache_forget);
// the virtual disk orders a VM's reads after its earlier writes on the
// same sectors, so a read that misses afterwards sees the new contents.
//
// Locks: blockcache_lock covers the table and its counters; it is taken
// after a VM's pmap locks and dev_lock, and before memmap_lock.
#ifndef HYP_BLOCKCACHE_H
#define HYP_BLOCKCACHE_H

#include "kernel/types.h"

#define BLOCKCACHE_MAX   8192   // entries in the index: 32 MiB of blocks
#define BLOCKCACHE_SLACK 256    // unreserved pages per node the cache leaves
                                //   to others (the monitor's own needs)
#define BLOCKCACHE_EVICT 64     // entries one eviction pass tries to free

// Sectors in a block, and blocks <-> sectors.
#define BLOCK_SECTORS 8

// The machine page that holds disk block `block`, with a reference taken
// for the caller (to map it, or to drop with memmap_free); 0 if no page
// holds it.
uint64_t blockcache_get(uint64_t block);

// A page for the disk to read a missing block into, on `node` (or the
// nearest that has one), owned by OWNER_SHARED; evicts unmapped blocks
// first if memory is short. 0 when there is none: the caller reads the
// block as it would without the cache.
uint64_t blockcache_alloc(int node);

// Page pa (from blockcache_alloc) now holds block `block`: index it. The
// caller's reference on pa goes to the index, and the caller gets back a
// page holding the block with a reference for itself: pa, or the page
// another VM filled with the same block meanwhile (then pa is freed).
uint64_t blockcache_insert(uint64_t block, uint64_t pa);

// A write is about to reach sectors [first, first + n) of the real disk:
// forget every block it touches.
void blockcache_forget(uint64_t first, uint64_t n);

// Guest images (lab 3: "shared kernel images"): VMs booted from one image
// in the VM bundle share its pages as they share disk blocks, one copy per
// NUMA node: a kernel's text is read all the time by every vCPU, and
// Disco too kept a copy of the kernel text on each node (4.2.3). The key
// of an image page is BLOCKCACHE_IMAGE, the node times 2^48 and the
// machine address of its first byte in the bundle (below 2^48), which no
// disk block number reaches; the bundle never changes, so such an entry
// is never forgotten, only evicted.
#define BLOCKCACHE_IMAGE (1UL << 63)
#define BLOCKCACHE_NODE_SHIFT 48

// Node `node`'s shared page holding the PAGE_SIZE bytes at `bytes` (in
// the VM bundle), made from them on first use, with a reference for the
// caller; 0 when memory is short (the caller copies instead).
uint64_t blockcache_image_page(const void *bytes, int node);

// Node `node`'s zero page: a page of zeros shared by every VM that asks
// for a zeroed page (Disco's "zeroed page" monitor call) there, one per
// node so that a VM's zeroed pages stay on its node; with a reference for
// the caller. 0 if memory ran out.
uint64_t blockcache_zero_page(int node);

// Evict every block no VM maps: for admission, when a new VM's
// reservation does not fit (hyp/vm/vm.c). Returns how many pages it freed.
uint64_t blockcache_shrink(void);

// What the cache holds and did, for the machine's counters.
struct blockcache_stats {
  uint64_t blocks;          // entries in the index now
  uint64_t mapped;          // ... of which some VM maps (refcount > 1)
  uint64_t mappings;        // references beyond the index's, all entries:
  uint64_t disk_mappings;   //   ... of disk blocks
  uint64_t image_mappings;  //   ... of guest image pages
  uint64_t zero_mappings;   // references on the zero pages
  uint64_t lookups;         // blockcache_get calls
  uint64_t hits;            // ... that found the block
  uint64_t fills;           // blocks read from disk into the cache
  uint64_t evicted;         // pages evicted
  uint64_t forgotten;       // entries dropped by writes
};
struct blockcache_stats blockcache_stats(void);

// Print the machine's sharing counters on one line:
//   counters machine: sharing blocks=.. mapped=.. mappings=.. lookups=.. ...
void blockcache_print(void);

#endif
