// hyp/mem/memmap.c: the memmap and the per-node page allocator
// (see hyp/mem/memmap.h for the picture).
//
// This file knows nothing about device trees or QEMU: it is handed ranges
// and reservations, so the host unit test (tests/unit/test_memmap.c) can
// drive it with made-up machines.
#include "hyp/mem/memmap.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/spinlock.h"

// One RAM range and the records of its pages: the page at
// base + i * PAGE_SIZE is described by records[i].
struct memmap_range {
  uint64_t base;
  uint64_t npages;
  int node;
  struct memmap_entry *records;
};

static struct memmap_range ranges[MAX_MEMRANGES];
static int nranges;

static int nnodes;
static struct memmap_entry *freelist[MAX_NODES];      // per-node free pages
static struct memmap_node_stats stats[MAX_NODES];
static int fallback[MAX_NODES][MAX_NODES];            // see memmap_init
static bool ready;

// One owner's reservation (memmap_reserve_pages): pages[n] reserved on
// node n, and held[n] the pages it holds there now, counted from when it
// first reserved (pages it took before do not count against it). An
// entry with owner OWNER_NONE is unused; memmap_unreserve_pages gives an
// entry up when both counts are zero everywhere.
struct resv {
  uint16_t owner;
  uint64_t pages[MAX_NODES];
  uint64_t held[MAX_NODES];
};
static struct resv resvs[MEMMAP_MAX_RESV];

// One lock for all of the above once memmap_ready() has run, and for the
// records' state, owner, refcount and free-list links; ranges, nnodes and
// fallback no longer change by then, so memmap_lookup and memmap_pa read
// them without it. A lock per node would let nodes allocate in parallel; one lock is
// easier to reason about, and allocation is rare next to everything else
// the monitor does.
static struct spinlock memmap_lock = SPINLOCK_INIT("memmap");

void memmap_init(int n, const uint32_t dist[MAX_NODES][MAX_NODES]) {
  if (n < 1 || n > MAX_NODES)
    panic("memmap_init: %d nodes, want 1..%d", n, MAX_NODES);
  nnodes = n;
  nranges = 0;
  ready = false;
  for (int i = 0; i < MAX_NODES; i++) {
    freelist[i] = NULL;
    struct memmap_node_stats zero = {0};
    stats[i] = zero;
  }
  for (int i = 0; i < MEMMAP_MAX_RESV; i++) {
    struct resv none = {0};
    resvs[i] = none;
  }

  // fallback[a] lists all nodes, nearest to a first: a itself, then the
  // others by distance, ties broken by lower node id. Disco's policy is
  // the same in spirit: place a page local to the processor that uses it,
  // and if that node is full, as close as possible (Disco 4.2.3).
  // Insertion sort; there are at most four nodes.
  for (int a = 0; a < n; a++) {
    for (int i = 0; i < n; i++) {
      int b = i, j = i;
      while (j > 0) {
        int prev = fallback[a][j - 1];
        uint32_t dprev = prev == a ? 0 : dist[a][prev];
        uint32_t db = b == a ? 0 : dist[a][b];
        if (dprev < db || (dprev == db && prev < b))
          break;
        fallback[a][j] = prev;
        j--;
      }
      fallback[a][j] = b;
    }
  }
}

int memmap_add_range(uint64_t base, uint64_t size, int node,
                     struct memmap_entry *records) {
  if (base % PAGE_SIZE != 0 || size % PAGE_SIZE != 0 || size == 0) {
    printf("memmap: range %p+%p is not whole pages\n", (void *)base,
           (void *)size);
    return -1;
  }
  if (node < 0 || node >= nnodes) {
    printf("memmap: range %p is on node %d, but there are %d nodes\n",
           (void *)base, node, nnodes);
    return -1;
  }
  if (nranges == (int)ARRAY_SIZE(ranges)) {
    printf("memmap: more than %d RAM ranges\n", (int)ARRAY_SIZE(ranges));
    return -1;
  }
  for (int i = 0; i < nranges; i++) {
    uint64_t b = ranges[i].base, e = b + ranges[i].npages * PAGE_SIZE;
    if (base < e && b < base + size) {
      printf("memmap: range %p+%p overlaps range %p\n", (void *)base,
             (void *)size, (void *)b);
      return -1;
    }
  }

  struct memmap_range *r = &ranges[nranges++];
  r->base = base;
  r->npages = size / PAGE_SIZE;
  r->node = node;
  r->records = records;
  for (uint64_t i = 0; i < r->npages; i++) {
    struct memmap_entry *e = &records[i];
    e->node = (uint8_t)node;
    e->state = PAGE_FREE;
    e->owner = OWNER_NONE;
    e->refcount = 0;
    e->next = NULL;
    e->prev = NULL;
    e->backmaps = NULL;
    e->replicas = NULL;
  }
  stats[node].total += r->npages;
  return 0;
}

void memmap_reserve(uint64_t base, uint64_t size) {
  if (ready)
    panic("memmap_reserve: called after memmap_ready");
  uint64_t lo = ALIGN_DOWN(base, PAGE_SIZE);
  uint64_t hi = ALIGN_UP(base + size, PAGE_SIZE);
  for (uint64_t pa = lo; pa < hi; pa += PAGE_SIZE) {
    struct memmap_entry *e = memmap_lookup(pa);
    if (e != NULL && e->state != PAGE_RESERVED) {
      e->state = PAGE_RESERVED;
      stats[e->node].reserved++;
    }
  }
}

// Put e at the front of its node's free list. Caller holds memmap_lock
// (or runs before memmap_ready, alone).
static void freelist_push(struct memmap_entry *e) {
  struct memmap_entry **head = &freelist[e->node];
  e->prev = NULL;
  e->next = *head;
  if (*head != NULL)
    (*head)->prev = e;
  *head = e;
}

// Take e off its node's free list, wherever it is in the list: this is
// why the list is doubly linked. Caller holds memmap_lock.
static void freelist_unlink(struct memmap_entry *e) {
  if (e->prev != NULL)
    e->prev->next = e->next;
  else
    freelist[e->node] = e->next;
  if (e->next != NULL)
    e->next->prev = e->prev;
  e->next = e->prev = NULL;
}

// ---- Reservations (caller holds memmap_lock) ----

// The reservation of `owner`, or NULL if it has none.
static struct resv *resv_of(uint16_t owner) {
  if (owner == OWNER_NONE)
    return NULL;
  for (int i = 0; i < MEMMAP_MAX_RESV; i++)
    if (resvs[i].owner == owner)
      return &resvs[i];
  return NULL;
}

// Free pages on node n that no reservation has a claim on: the free
// pages less the reserved pages not taken yet by their owners.
static uint64_t unreserved(int n) {
  return stats[n].free - (stats[n].resv - stats[n].resv_used);
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

// r's owner now holds one page more on node n, or one fewer; a page
// inside its reservation counts in resv_used. So, for every node,
//   resv_used = the sum over owners of min(held, pages).
static void held_more(struct resv *r, int n) {
  if (r->held[n] < r->pages[n])
    stats[n].resv_used++;
  r->held[n]++;
}

static void held_fewer(struct resv *r, int n) {
  if (r->held[n] == 0)
    return;                   // a page taken before it reserved
  r->held[n]--;
  if (r->held[n] < r->pages[n])
    stats[n].resv_used--;
}

// Change r's reservation on node n to `pages`, keeping the sums right.
static void resv_set(struct resv *r, int n, uint64_t pages) {
  stats[n].resv_used -= min_u64(r->held[n], r->pages[n]);
  stats[n].resv -= r->pages[n];
  r->pages[n] = pages;
  stats[n].resv += r->pages[n];
  stats[n].resv_used += min_u64(r->held[n], r->pages[n]);
}

// Give up r if it reserves nothing and holds nothing.
static void resv_maybe_drop(struct resv *r) {
  for (int n = 0; n < MAX_NODES; n++)
    if (r->pages[n] != 0 || r->held[n] != 0)
      return;
  r->owner = OWNER_NONE;
}

// Hand free page e to `owner`, counting it against node `wanted`.
// Caller holds memmap_lock.
static void take(struct memmap_entry *e, uint16_t owner, int wanted) {
  struct resv *r = resv_of(owner);
  if (r != NULL)
    held_more(r, e->node);
  freelist_unlink(e);
  e->state = PAGE_USED;
  e->owner = owner;
  e->refcount = 1;
  for (int i = 0; i < MAX_NODES; i++)
    e->hints[i] = 0;              // lab 4: nothing known of its new use
  e->hint_write = e->moves = 0;
  stats[e->node].free--;
  stats[e->node].used++;
  if (owner == OWNER_SHARED)
    stats[e->node].shared++;
  if (e->node == wanted)
    stats[e->node].alloc_local++;
  else
    stats[e->node].alloc_remote++;
}

// Link the free pages. Going through each range backwards and pushing on
// the front leaves each free list in ascending address order, which makes
// the allocator's behaviour easy to predict (and to test).
void memmap_ready(void) {
  for (int i = nranges - 1; i >= 0; i--) {
    struct memmap_range *r = &ranges[i];
    for (uint64_t p = r->npages; p-- > 0;) {
      struct memmap_entry *e = &r->records[p];
      if (e->state != PAGE_FREE)
        continue;
      freelist_push(e);
      stats[r->node].free++;
    }
  }
  ready = true;
}

// Does owner r have at least n reserved pages left on `node`?
static bool resv_left(struct resv *r, int node, uint64_t n) {
  return r != NULL && r->held[node] < r->pages[node] &&
         r->pages[node] - r->held[node] >= n;
}

uint64_t memmap_alloc(int node, uint16_t owner) {
  if (!ready)
    panic("memmap_alloc: before memmap_ready");
  if (node < 0 || node >= nnodes)
    panic("memmap_alloc: node %d, but there are %d nodes", node, nnodes);

  acquire(&memmap_lock);
  struct memmap_entry *e = NULL;
  if (resv_left(resv_of(owner), node, 1)) {
    // Promised: the node keeps at least this many pages free.
    e = freelist[node];
    if (e == NULL)
      panic("memmap_alloc: node %d has no free page, but owner %u has one "
            "reserved there", node, owner);
  } else {
    for (int i = 0; i < nnodes && e == NULL; i++) {
      int from = fallback[node][i];
      if (unreserved(from) > 0)
        e = freelist[from];
    }
  }
  if (e != NULL)
    take(e, owner, node);
  release(&memmap_lock);
  return e == NULL ? 0 : memmap_pa(e);    // 0: no page left for this owner
}

// Is there a free, aligned run of n pages at records[first] of range r?
static bool run_is_free(const struct memmap_range *r, uint64_t first, int n) {
  for (int k = 0; k < n; k++)
    if (r->records[first + k].state != PAGE_FREE)
      return false;
  return true;
}

uint64_t memmap_alloc_contig(int node, uint16_t owner, int npages) {
  if (npages < 1 || (npages & (npages - 1)) != 0)
    panic("memmap_alloc_contig: %d pages is not a power of two", npages);
  if (node < 0 || node >= nnodes)
    panic("memmap_alloc_contig: node %d, but there are %d nodes", node,
          nnodes);
  uint64_t align = (uint64_t)npages * PAGE_SIZE;

  acquire(&memmap_lock);
  // From the owner's reservation on `node` alone, or from unreserved
  // pages on any node, nearest first.
  bool reserved = resv_left(resv_of(owner), node, (uint64_t)npages);
  for (int i = 0; i < (reserved ? 1 : nnodes); i++) {
    int from = fallback[node][i];
    if (!reserved && unreserved(from) < (uint64_t)npages)
      continue;
    for (int ri = 0; ri < nranges; ri++) {
      struct memmap_range *r = &ranges[ri];
      if (r->node != from)
        continue;
      // Try each aligned start address inside the range.
      uint64_t pa = ALIGN_UP(r->base, align);
      for (; pa + align <= r->base + r->npages * PAGE_SIZE; pa += align) {
        uint64_t first = (pa - r->base) / PAGE_SIZE;
        if (!run_is_free(r, first, npages))
          continue;
        for (int k = 0; k < npages; k++)
          take(&r->records[first + k], owner, node);
        release(&memmap_lock);
        return pa;
      }
    }
  }
  release(&memmap_lock);
  return 0;
}

void memmap_ref(uint64_t pa) {
  struct memmap_entry *e = memmap_lookup(pa);
  if (e == NULL)
    panic("memmap_ref: %p is not RAM", (void *)pa);
  acquire(&memmap_lock);
  if (e->state != PAGE_USED) {
    release(&memmap_lock);
    panic("memmap_ref: page %p is not in use", (void *)pa);
  }
  e->refcount++;
  release(&memmap_lock);
}

void memmap_free(uint64_t pa) {
  struct memmap_entry *e = memmap_lookup(pa);
  if (e == NULL || pa % PAGE_SIZE != 0)
    panic("memmap_free: %p is not a page of RAM", (void *)pa);

  acquire(&memmap_lock);
  if (e->state != PAGE_USED) {
    int state = e->state;
    release(&memmap_lock);
    panic("memmap_free: page %p is %s, not in use (double free?)",
          (void *)pa, state == PAGE_FREE ? "already free" : "reserved");
  }
  if (e->refcount > 1) {             // someone else still holds it
    e->refcount--;
    release(&memmap_lock);
    return;
  }
  struct resv *r = resv_of(e->owner);
  if (r != NULL)
    held_fewer(r, e->node);
  if (e->owner == OWNER_SHARED)
    stats[e->node].shared--;
  e->state = PAGE_FREE;
  e->owner = OWNER_NONE;
  e->refcount = 0;
  freelist_push(e);
  stats[e->node].used--;
  stats[e->node].free++;
  release(&memmap_lock);
}

struct memmap_entry *memmap_lookup(uint64_t pa) {
  for (int i = 0; i < nranges; i++) {
    struct memmap_range *r = &ranges[i];
    if (pa >= r->base && pa - r->base < r->npages * PAGE_SIZE)
      return &r->records[(pa - r->base) / PAGE_SIZE];
  }
  return NULL;
}

uint64_t memmap_pa(const struct memmap_entry *e) {
  for (int i = 0; i < nranges; i++) {
    struct memmap_range *r = &ranges[i];
    if (e >= r->records && e < r->records + r->npages)
      return r->base + (uint64_t)(e - r->records) * PAGE_SIZE;
  }
  panic("memmap_pa: %p is not a memmap record", (void *)e);
}

int memmap_fallback_order(int node, int order[MAX_NODES]) {
  for (int i = 0; i < nnodes; i++)
    order[i] = fallback[node][i];
  return nnodes;
}

struct memmap_node_stats memmap_stats(int node) {
  acquire(&memmap_lock);
  struct memmap_node_stats s = stats[node];
  s.unreserved = unreserved(node);
  release(&memmap_lock);
  return s;
}

int memmap_reserve_pages(uint16_t owner, const uint64_t pages[MAX_NODES],
                         int *short_node) {
  acquire(&memmap_lock);
  for (int n = 0; n < nnodes; n++) {
    if (pages[n] > unreserved(n)) {
      *short_node = n;
      release(&memmap_lock);
      return -1;
    }
  }
  struct resv *r = resv_of(owner);
  for (int i = 0; i < MEMMAP_MAX_RESV && r == NULL; i++)
    if (resvs[i].owner == OWNER_NONE) {
      r = &resvs[i];
      struct resv fresh = {owner, {0}, {0}};
      *r = fresh;
    }
  if (r == NULL) {
    release(&memmap_lock);
    panic("memmap_reserve_pages: more than %d owners hold reservations",
          MEMMAP_MAX_RESV);
  }
  for (int n = 0; n < nnodes; n++)
    resv_set(r, n, r->pages[n] + pages[n]);
  release(&memmap_lock);
  return 0;
}

void memmap_unreserve_pages(uint16_t owner, const uint64_t pages[MAX_NODES]) {
  acquire(&memmap_lock);
  struct resv *r = resv_of(owner);
  for (int n = 0; n < nnodes; n++) {
    uint64_t has = r == NULL ? 0 : r->pages[n];
    if (pages[n] > has) {
      release(&memmap_lock);
      panic("memmap_unreserve_pages: owner %u gives back %lu pages on node "
            "%d, but has %lu reserved", owner, pages[n], n, has);
    }
    if (pages[n] > 0)
      resv_set(r, n, has - pages[n]);
  }
  if (r != NULL)
    resv_maybe_drop(r);
  release(&memmap_lock);
}

void memmap_print(void) {
  for (int n = 0; n < nnodes; n++) {
    struct memmap_node_stats s = memmap_stats(n);
    printf("memory: node %d total=%lu reserved=%lu free=%lu used=%lu pages"
           " (%lu MiB free)\n",
           n, s.total, s.reserved, s.free, s.used,
           s.free * PAGE_SIZE / MiB);
    printf("memory: node %d vms: reserved=%lu used=%lu shared=%lu "
           "unreserved=%lu pages (%lu MiB unreserved)\n",
           n, s.resv, s.resv_used, s.shared, s.unreserved,
           s.unreserved * PAGE_SIZE / MiB);
  }
}
