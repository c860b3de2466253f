// hyp/mem/memmap.h: machine memory, one record per machine page.
//
// Disco keeps a *memmap*: "a data structure that contains an entry for
// each real machine memory page", holding the virtual machines and
// guest-physical pages that map it (its back-mappings), and its copies on
// other nodes (Disco section 4.2.2 "Virtual Physical Memory" and 4.2.3
// "NUMA Memory Management"). Ours is the same idea:
//
//   machine page  --->  struct memmap_entry
//                         node      which NUMA node the page sits on
//                         state     reserved / free / used
//                         owner     who holds it (the monitor, or a VM)
//                         refcount  how many hold it (a disk request's pin
//                                   too: pmap_pin; VMs sharing it, lab 3)
//                         backmaps  every (VM, guest page) mapping it (lab 1)
//                         replicas  read-only copies on other nodes (lab 4)
//
// Free pages sit on one free list per node. memmap_alloc() takes a page
// from the preferred node and, when that node is out of memory, from the
// nearest other node by NUMA distance.
//
// Admission (README, "Virtual machines"): a VM is created only if every
// page it can ever hold can be set aside for it first. A reservation is
// a count of pages per node, not a list of pages: memmap_reserve_pages
// moves pages from a node's "unreserved" count to the owner, and from
// then on the owner's allocations on that node, up to the count, cannot
// fail, whatever others allocate; anyone's allocation beyond a
// reservation takes only unreserved pages. Counts compose with the page
// sharing of lab 3: a VM that maps a page another holds holds no page of
// its own for it, and its reservation still covers the private copy a
// write would need.
//
// Setting up, in this order (hyp/mem/memmap_boot.c does it from the device
// tree; the host unit test does it by hand):
//   memmap_init(nnodes, dist)         the nodes and their distances
//   memmap_add_range(...)             each RAM range, all pages "free"
//   memmap_reserve(base, size)        pages no one may have
//   memmap_ready()                    build the free lists; allocate from now
#ifndef HYP_MEMMAP_H
#define HYP_MEMMAP_H

#include "hyp/param.h"
#include "kernel/types.h"

// Page states.
#define PAGE_RESERVED 0    // firmware, monitor image, device tree, VM
                           //   bundle, memmap records (machine_reserve)
#define PAGE_FREE     1    // on its node's free list
#define PAGE_USED     2    // handed out by memmap_alloc

// Owners. VMs are numbered from 1.
#define OWNER_NONE    0
#define OWNER_REPLICA 0xfffc       // a read-only copy of a VM's page on
                                   //   another node, and the tables that map
                                   //   such copies (lab 4, pmap_replicate)
#define OWNER_SHARED  0xfffd       // a page of the disk-block cache, or the
                                   //   zero page: never written in place,
                                   //   mapped read-only into any VM that reads
                                   //   it (lab 3, hyp/mem/blockcache.h)
#define OWNER_BACKMAP 0xfffe       // the back-mapping records' pages (lab 1)
#define OWNER_MONITOR 0xffff

// How many owners may hold reservations at once (VMs, and the
// back-mapping records).
#define MEMMAP_MAX_RESV 16

struct backmap;            // defined in hyp/mem/backmap.h (lab 1)

// node is fixed once the range is added; state, owner, refcount and the
// free-list links are under memmap_lock (hyp/mem/memmap.c; pmap.c reads
// refcount atomically without it); backmaps are under backmap_lock
// (hyp/mem/backmap.c).
struct memmap_entry {
  uint8_t node;                     // NUMA node
  uint8_t state;                    // PAGE_*
  uint16_t owner;                   // OWNER_* or a VM id
  uint32_t refcount;                // holders; 1 after memmap_alloc
  struct memmap_entry *next;        // free-list links, while PAGE_FREE
  struct memmap_entry *prev;        //   (doubly linked: see memmap_alloc_contig)
  struct backmap *backmaps;         // mappings of this page (lab 1)
  struct memmap_entry *replicas;    // copies on other nodes (lab 4)
  // Lab 4's hot-page detection (hyp/mem/numa.h), under the owning pmap's
  // lock: hinting faults from each node, fading at every scan of the page;
  // for how many more scans it counts as written (0: not lately); moves
  // lately. And while
  // the page is a replica (lab 4), `next` links the master's replicas.
  uint8_t hints[MAX_NODES];
  uint8_t hint_write;
  uint8_t moves;
};

// Per-node accounting, in pages.
struct memmap_node_stats {
  uint64_t total;           // RAM pages on the node
  uint64_t reserved;        // never allocatable
  uint64_t free;            // on the free list now
  uint64_t used;            // handed out now
  uint64_t alloc_local;     // allocations that asked for this node and got it
  uint64_t alloc_remote;    // pages this node gave to a request for another

  // Admission (memmap_reserve_pages): pages reserved for owners, and how
  // many of those their owners hold now. The rest of the reserved pages
  // are promised: free pages no one else may take. So
  //   unreserved = free - (resv - resv_used)
  // is what a new reservation (or any allocation beyond one) can have.
  uint64_t resv;            // pages reserved, all owners together
  uint64_t resv_used;       // ... and taken by their owners
  uint64_t shared;          // pages of OWNER_SHARED in use now (lab 3)
  uint64_t unreserved;      // free pages no reservation has a claim on
};

// Start over with nnodes nodes (1..MAX_NODES) whose distances are
// dist[from][to] (10 = local, larger = farther).
void memmap_init(int nnodes, const uint32_t dist[MAX_NODES][MAX_NODES]);

// Add the RAM range [base, base + size) on `node`. base and size must be
// page-aligned. `records` is storage for size / PAGE_SIZE entries, which
// the memmap keeps using. Returns 0, or -1 (with a message) if the range
// is unaligned, overlaps another, or there are too many ranges.
int memmap_add_range(uint64_t base, uint64_t size, int node,
                     struct memmap_entry *records);

// Mark every page that overlaps [base, base + size) reserved. Parts
// outside every RAM range are ignored. Only before memmap_ready().
void memmap_reserve(uint64_t base, uint64_t size);

// Put every page that is not reserved on its node's free list.
void memmap_ready(void);

// Allocate one page for `owner`, preferring `node`. If the owner has a
// reservation on `node` that it has not used up, the page comes from it
// (from `node`, and it is always there). Otherwise the page is an
// unreserved one, from `node` or, when that has none, from the nearest
// node that has (ties: lowest node id). Returns the page's machine
// physical address, or 0 when no page is left for this owner. The page
// is NOT zeroed: a caller that needs zeros clears it.
uint64_t memmap_alloc(int node, uint16_t owner);

// Allocate npages physically contiguous pages, aligned to npages pages
// (npages a power of two), all on one node: `node` if it has such a run,
// else the nearest node that has; like memmap_alloc, from the owner's
// reservation on `node` if it has npages left there, else from
// unreserved pages only. Returns the first page's address, or 0.
// For the few things hardware wants contiguous: the 16 KiB root of a
// G-stage page table (privileged spec 8.5.1), for instance. It searches
// the records, so it is slow; use it rarely. Free each page with
// memmap_free.
uint64_t memmap_alloc_contig(int node, uint16_t owner, int npages);

// Give back a page from memmap_alloc: drop one reference, and put the
// page back on its node's free list when that was the last one (a page
// some disk request still holds with memmap_ref stays in use until the
// request lets go). Freeing a page that is not in use (a double free, a
// reserved page, an address that is not RAM, or an unaligned address) is
// a bug in the monitor: panic, naming the page.
void memmap_free(uint64_t pa);

// Take one more reference on a page in use (refcount + 1), so that it
// stays allocated until a matching memmap_free, whoever frees it first.
// The monitor's disk pins a guest page this way while a request of the
// real disk reads or writes it (hyp/dev/vvirtio_blk.c): the VM may give the
// page up meanwhile (a lab's unmapping, the VM stopping), but the page is
// not reused under the device's DMA. A page not in use: panic.
void memmap_ref(uint64_t pa);

// The record of the page that holds machine address pa, or NULL if pa is
// not RAM.
struct memmap_entry *memmap_lookup(uint64_t pa);

// The machine address of the page a record describes.
uint64_t memmap_pa(const struct memmap_entry *e);

// Nodes in the order memmap_alloc(node, ...) tries them; returns how many.
int memmap_fallback_order(int node, int order[MAX_NODES]);

// Accounting for one node.
struct memmap_node_stats memmap_stats(int node);

// Reserve pages[n] pages on each node n for `owner`, all or nothing:
// returns 0, or -1 if some node has fewer unreserved pages than asked
// (then nothing is reserved, and *short_node names the first such node).
// Reservations add up: an owner may reserve more later. At most
// MEMMAP_MAX_RESV owners hold reservations at once (panic beyond).
int memmap_reserve_pages(uint16_t owner, const uint64_t pages[MAX_NODES],
                         int *short_node);

// Give back pages[n] reserved pages on each node n (what one
// memmap_reserve_pages call took). Pages the owner still holds stay its
// own; they no longer count against a reservation.
void memmap_unreserve_pages(uint16_t owner, const uint64_t pages[MAX_NODES]);

// Build the memmap from the machine description (hyp/mem/memmap_boot.c):
// the four setup steps above, with the records placed in RAM itself.
void memmap_boot(void);

// Print two lines per node, for people and tests: the pages (reserved
// here is what memmap_reserve marked: firmware, the monitor's image, the
// device tree, the VM bundle, the memmap records), then admission
// (reserved here is for VMs: memmap_reserve_pages):
//   memory: node 0 total=65536 reserved=1536 free=63400 used=600 pages (247 MiB free)
//   memory: node 0 vms: reserved=2100 used=600 shared=0 unreserved=61900 pages (241 MiB unreserved)
void memmap_print(void);

#endif
