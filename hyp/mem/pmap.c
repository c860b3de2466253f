// hyp/mem/pmap.c: the pmap and the G-stage page table (see hyp/mem/pmap.h).
//
// The G-stage table uses the Sv39x4 format (privileged spec 8.5.1): Sv39's
// three levels of 512 eight-byte entries, except that the root is four
// times larger (2048 entries, 16 KiB, 16 KiB-aligned), so guest-physical
// addresses have 41 bits instead of 39:
//
//    40          30 29        21 20        12 11           0
//   +--------------+------------+------------+--------------+
//   |  VPN[2] (11) | VPN[1] (9) | VPN[0] (9) | offset (12)  |
//   +--------------+------------+------------+--------------+
//
// Each entry (PTE) is
//
//    63    54 53                       10 9   8 7 6 5 4 3 2 1 0
//   +--------+---------------------------+-----+-+-+-+-+-+-+-+-+
//   |reserved|  PPN: machine page number |RSW  |D|A|G|U|X|W|R|V|
//   +--------+---------------------------+-----+-+-+-+-+-+-+-+-+
//
// V = valid; R, W, X = permissions (all zero: a pointer to the next
// level). Two G-stage rules differ from Sv39: every leaf must have U = 1,
// because the G stage treats all guest accesses as user accesses (spec
// 8.5.1); and we set A and D ourselves, because QEMU raises a fault
// instead of setting them.
#include "hyp/mem/backmap.h"
#include "hyp/mem/blockcache.h"
#include "hyp/mem/tlb.h"
#include "hyp/mem/memmap.h"
#include "hyp/mem/pmap.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/string.h"

#define PTE_V (1UL << 0)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_HINT (1UL << 8)     // an RSW bit (for software): V cleared for a
                                // hinting fault (lab 4, pmap_revoke), the
                                // rest of the leaf kept

#define ROOT_ENTRIES 2048           // Sv39x4's root: 11 bits of index
#define ROOT_PAGES   4              // 2048 * 8 bytes = 16 KiB

// The index into the table of `level` (2 = root) for gpa.
static uint64_t vpn(uint64_t gpa, int level) {
  uint64_t mask = level == 2 ? ROOT_ENTRIES - 1 : 511;
  return (gpa >> (PAGE_SHIFT + 9 * level)) & mask;
}

// PTE <-> machine address.
static uint64_t pte_pa(uint64_t pte) { return (pte >> 10) << PAGE_SHIFT; }
static uint64_t pa_pte(uint64_t pa) { return (pa >> PAGE_SHIFT) << 10; }

// A zeroed page on `node` for VM pm->owner, or 0.
static uint64_t zeroed_page(struct pmap *pm, int node) {
  uint64_t pa = memmap_alloc(node, pm->owner);
  if (pa != 0)
    memset((void *)pa, 0, PAGE_SIZE);
  return pa;
}

// The pages that hold a map of ram_size bytes of guest RAM: one 8-byte
// entry per guest page, in a power-of-two count of contiguous pages (as
// memmap_alloc_contig wants).
static uint64_t map_pages(uint64_t ram_size) {
  uint64_t bytes = ram_size / PAGE_SIZE * sizeof(uint64_t);
  uint64_t pages = 1;
  while (pages * PAGE_SIZE < bytes)
    pages *= 2;
  return pages;
}

// How many aligned blocks of `block` bytes [base, base + size) touches.
static uint64_t blocks(uint64_t base, uint64_t size, uint64_t block) {
  return (base + size - 1) / block - base / block + 1;
}

void pmap_max_pages(uint64_t ram_base, uint64_t ram_size, int node, int span,
                    int nvcpus, uint64_t pages[MAX_NODES]) {
  for (int n = 0; n < MAX_NODES; n++)
    pages[n] = 0;
  // Guest pages: all on `node`, or in `span` equal chunks, chunk k on
  // node k (pmap_page_node). Each node also gets one page per vCPU, and
  // one for the monitor's own copies (vm_copy_to_guest): vCPUs that
  // fault on one page at once each take a page, and the losers give
  // theirs back only after (pmap_fault).
  int nodes = span > 1 ? span : 1;
  for (int k = 0; k < nodes; k++) {
    int n = span > 1 ? k : node;
    pages[n] += ram_size / PAGE_SIZE / (uint64_t)nodes + (uint64_t)nvcpus + 1;
  }
  // The G-stage table (all on `node`): the root, one level-1 table per
  // 1 GiB of guest-physical space the RAM touches, one level-0 table per
  // 2 MiB; and the map.
  pages[node] += ROOT_PAGES + blocks(ram_base, ram_size, 1UL << 30) +
                 blocks(ram_base, ram_size, 2 * MiB) + map_pages(ram_size);
}

int pmap_init(struct pmap *pm, uint16_t owner, int node, uint64_t ram_base,
              uint64_t ram_size) {
  memset(pm, 0, sizeof(*pm));
  spinlock_init(&pm->lock, "pmap");
  spinlock_init(&pm->move_lock, "pmap move");
  tlb_space_init(&pm->tlb);
  pm->owner = owner;
  pm->node = node;
  pm->ram_base = ram_base;
  pm->ram_size = ram_size;

  // The root must be 16 KiB, aligned to 16 KiB (spec 8.5.1).
  pm->root = memmap_alloc_contig(node, owner, ROOT_PAGES);
  if (pm->root == 0)
    return -1;
  memset((void *)pm->root, 0, ROOT_PAGES * PAGE_SIZE);
  pm->table_pages = ROOT_PAGES;

  // The map: one 8-byte entry per guest page, in contiguous pages.
  uint64_t pages = map_pages(ram_size);
  uint64_t map = memmap_alloc_contig(node, owner, (int)pages);
  if (map == 0) {
    for (int i = 0; i < ROOT_PAGES; i++)
      memmap_free(pm->root + i * PAGE_SIZE);
    return -1;
  }
  memset((void *)map, 0, pages * PAGE_SIZE);
  pm->map = (uint64_t *)map;
  pm->map_pages = pages;
  return 0;
}

void pmap_span(struct pmap *pm, int n) { pm->span = n; }

int pmap_page_node(struct pmap *pm, uint64_t gpa) {
  if (pm->span <= 1)
    return pm->node;
  uint64_t chunk = pm->ram_size / (uint64_t)pm->span;
  return (int)((gpa - pm->ram_base) / chunk);
}

uint64_t pmap_hgatp(struct pmap *pm, uint16_t vmid, int node) {
  uint64_t root = pm->node_tables[node] != NULL ? pm->node_tables[node]->root : pm->root;
  return HGATP_MODE_SV39X4 | ((uint64_t)vmid << HGATP_VMID_SHIFT) | (root >> PAGE_SHIFT);
}

bool pmap_is_ram(struct pmap *pm, uint64_t gpa) {
  return gpa >= pm->ram_base && gpa - pm->ram_base < pm->ram_size;
}

uint64_t pmap_lookup(struct pmap *pm, uint64_t gpa) {
  if (!pmap_is_ram(pm, gpa))
    return 0;
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  release(&pm->lock);
  return pa == 0 ? 0 : pa + (gpa % PAGE_SIZE);
}

// Return a pointer to the level-0 (4 KiB) PTE for gpa. If a table on the
// way is missing, allocate it when `alloc` is true, else return NULL; also
// NULL when memory is short. Caller holds pm->lock.
static uint64_t *pmap_walk(struct pmap *pm, uint64_t gpa, bool alloc) {
  // BEGIN LAB 1: find gpa's level-0 PTE, adding tables and counting them
  uint64_t *table = (uint64_t *)pm->root;
  for (int level = 2; level > 0; level--) {
    uint64_t *pte = &table[vpn(gpa, level)];
    if (!(*pte & PTE_V)) {
      if (!alloc)
        return NULL;
      uint64_t page = zeroed_page(pm, pm->node);
      if (page == 0)
        return NULL;
      pm->table_pages++;
      // A pointer to the next level: V set, R/W/X/U/A/D all clear.
      *pte = pa_pte(page) | PTE_V;
    }
    table = (uint64_t *)pte_pa(*pte);
  }
  return &table[vpn(gpa, 0)];
  // END LAB 1
  // STUB LAB 1: panic("lab 1: pmap_walk not implemented");
}

// Install gpa -> pa with permissions perm in the pmap and the G-stage
// table, and record the back-mapping. Caller holds pm->lock, and fences
// afterwards. Returns 0, or -1 when out of memory.
static int pmap_enter_locked(struct pmap *pm, uint64_t gpa, uint64_t pa,
                             uint64_t perm) {
  // BEGIN LAB 1: point gpa's PTE at pa; update map, backmaps, counters
  struct memmap_entry *e = memmap_lookup(pa);
  if (e == NULL)
    panic("pmap_enter: %p is not machine memory", (void *)pa);
  uint64_t *pte = pmap_walk(pm, gpa, true);
  if (pte == NULL || memmap_backmap_add(e, pm->owner, gpa) < 0)
    return -1;
  pm->map[(gpa - pm->ram_base) / PAGE_SIZE] = pa;
  pm->mapped[e->node]++;
  *pte = pa_pte(pa) | (perm & PMAP_RWX) | PTE_U | PTE_A | PTE_D | PTE_V;
  return 0;
  // END LAB 1
  // STUB LAB 1: panic("lab 1: pmap_enter_locked not implemented");
}

int pmap_enter(struct pmap *pm, uint64_t gpa, uint64_t pa, uint64_t perm) {
  if (!pmap_is_ram(pm, gpa))
    panic("pmap_enter: gpa %p is not RAM of VM %d", (void *)gpa, pm->owner);
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  acquire(&pm->lock);
  int r = pmap_enter_locked(pm, gpa, pa, perm);
  release(&pm->lock);
  // This hart may hold the old "invalid" answer for gpa; others will
  // fault again and find the mapping in place (pmap_fault).
  hfence_gvma(gpa);
  return r;
}

int pmap_fault(struct pmap *pm, uint64_t gpa) {
  // BEGIN LAB 1: back gpa with a zeroed page and map it (see hyp/mem/pmap.h)
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  uint64_t index = (gpa - pm->ram_base) / PAGE_SIZE;

  // First touch, most likely: get a fresh zeroed page on the page's node
  // before taking the lock (zeroing 4 KiB under a lock would stall every
  // other vCPU of the VM that faults meanwhile).
  acquire(&pm->lock);
  bool filled = pm->map[index] != 0;
  release(&pm->lock);
  uint64_t pa = filled ? 0 : zeroed_page(pm, pmap_page_node(pm, gpa));
  if (!filled && pa == 0)
    return -1;

  acquire(&pm->lock);
  int r = 0;
  if (pm->map[index] == 0) {
    r = pmap_enter_locked(pm, gpa, pa, PMAP_RWX);
    if (r == 0) {
      pm->faults++;
      pa = 0;                     // the pmap holds it now
    }
  }
  release(&pm->lock);
  // Either we filled it, or another vCPU of this VM did while we were on
  // the way here and this hart's TLB still has the old "invalid" answer:
  // in both cases a local fence makes the new entry visible here.
  if (pa != 0)
    memmap_free(pa);              // lost the race (or failed): give it back
  hfence_gvma(gpa);
  return r;
  // END LAB 1
  // STUB LAB 1: panic("lab 1: pmap_fault not implemented");
}

// Forget gpa in every node table (lab 4: they copy `root`'s entries on
// demand, pmap_node_fault), after its entry in `root` changed. The caller
// holds pm->lock, and shoots gpa down when the change takes something
// away: all tables share the VM's VMID, so one shootdown covers them.
static void drop_node_leaves(struct pmap *pm, uint64_t gpa) {
  for (int n = 0; n < MAX_NODES; n++) {
    struct pmap *nt = pm->node_tables[n];
    uint64_t *pte = nt != NULL ? pmap_walk(nt, gpa, false) : NULL;
    if (pte != NULL)
      *pte = 0;
  }
}

// Take gpa's G-stage entry away (zero it), leaving pm->map alone; returns
// the machine page behind gpa, or 0 if it has none, and the entry's
// permissions in *perm. Caller holds pm->lock and shoots the old entry
// down after letting go of it.
static uint64_t unmap_locked(struct pmap *pm, uint64_t gpa, uint64_t *perm) {
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  uint64_t *pte = pmap_walk(pm, gpa, false);
  *perm = PMAP_RWX;
  if (pa == 0 || pte == NULL || !(*pte & (PTE_V | PTE_HINT)))
    return pa;
  *perm = *pte & PMAP_RWX;
  *pte = 0;
  drop_node_leaves(pm, gpa);
  return pa;
}

// Forget that gpa is backed by pa: the map entry, the back-mapping and the
// per-node count. Caller holds pm->lock.
static void forget_locked(struct pmap *pm, uint64_t gpa, uint64_t pa) {
  struct memmap_entry *e = memmap_lookup(pa);
  pm->map[(gpa - pm->ram_base) / PAGE_SIZE] = 0;
  memmap_backmap_remove(e, pm->owner, gpa);
  pm->mapped[e->node]--;
  if (e->owner == OWNER_SHARED)
    pm->shared--;
}

// Is machine page pa a shared page (lab 3: never written in place)?
static bool is_shared(uint64_t pa) {
  return memmap_lookup(pa)->owner == OWNER_SHARED;
}

// Does gpa map a shared page now?
static bool maps_shared(struct pmap *pm, uint64_t gpa) {
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  release(&pm->lock);
  return pa != 0 && is_shared(pa);
}

// ---- Replicas (lab 4) ----
// A replicated page's memmap record lists its copies, linked through the
// copies' own records' `next` (a free-list link, unused while a page is in
// use).

// The copy of record e's page on `node`, or 0.
static uint64_t replica_on(const struct memmap_entry *e, int node) {
  for (struct memmap_entry *r = e->replicas; r != NULL; r = r->next)
    if (r->node == node)
      return memmap_pa(r);
  return 0;
}

// Free a list of copies (taken off their master's record).
static void free_replicas(struct memmap_entry *copies) {
  while (copies != NULL) {
    struct memmap_entry *next = copies->next;
    memmap_free(memmap_pa(copies));
    copies = next;
  }
}

// If gpa's page is replicated, make it writable again and drop the copies
// after a shootdown, so that no hart reads a copy once the master can be
// written. Returns 1 if it was replicated. Caller holds pm->move_lock (so
// no replica can be made meanwhile), not pm->lock.
static int collapse_locked(struct pmap *pm, uint64_t gpa) {
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  struct memmap_entry *e = pa != 0 ? memmap_lookup(pa) : NULL;
  if (e == NULL || e->replicas == NULL) {
    release(&pm->lock);
    return 0;
  }
  // BEGIN LAB 4: collapse the replicas: master writable, copies freed
  struct memmap_entry *copies = e->replicas;
  e->replicas = NULL;
  uint64_t *pte = pmap_walk(pm, gpa, false);
  if (pte != NULL && (*pte & (PTE_V | PTE_HINT)))
    *pte |= PMAP_W;               // only pages mapped RWX are replicated
  drop_node_leaves(pm, gpa);
  pm->collapses++;
  release(&pm->lock);
  tlb_shootdown(pm, gpa);
  free_replicas(copies);
  return 1;
  // END LAB 4
  // STUB LAB 4: panic("lab 4: collapse_locked not implemented");
}

int pmap_collapse(struct pmap *pm, uint64_t gpa) {
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  acquire(&pm->move_lock);
  int r = collapse_locked(pm, gpa);
  release(&pm->move_lock);
  return r;
}

// pmap_remove, and pmap_remove_page when `only` is not 0: remove gpa's
// mapping if it maps `only` (or anything, for 0), deciding under the lock.
static uint64_t remove_mapping(struct pmap *pm, uint64_t gpa, uint64_t only) {
  if (!pmap_is_ram(pm, gpa))
    panic("pmap_remove: gpa %p is not RAM of VM %d", (void *)gpa, pm->owner);
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  acquire(&pm->move_lock);
  collapse_locked(pm, gpa);
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (pa != 0 && (only == 0 || pa == only)) {
    uint64_t perm;
    unmap_locked(pm, gpa, &perm);
    forget_locked(pm, gpa, pa);
  } else {
    pa = 0;
  }
  release(&pm->lock);
  if (pa != 0)
    tlb_shootdown(pm, gpa);
  release(&pm->move_lock);
  return pa;
}

uint64_t pmap_remove(struct pmap *pm, uint64_t gpa) {
  return remove_mapping(pm, gpa, 0);
}

uint64_t pmap_remove_page(struct pmap *pm, uint64_t gpa, uint64_t pa) {
  return remove_mapping(pm, gpa, pa);
}

int pmap_protect(struct pmap *pm, uint64_t gpa, uint64_t perm) {
  if (!pmap_is_ram(pm, gpa))
    panic("pmap_protect: gpa %p is not RAM of VM %d", (void *)gpa, pm->owner);
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  acquire(&pm->move_lock);
  collapse_locked(pm, gpa);
  acquire(&pm->lock);
  uint64_t *pte = pmap_walk(pm, gpa, false);
  if (pte == NULL || !(*pte & (PTE_V | PTE_HINT))) {
    release(&pm->lock);
    release(&pm->move_lock);
    return -1;
  }
  uint64_t old = *pte & PMAP_RWX;
  *pte = (*pte & ~PMAP_RWX) | (perm & PMAP_RWX);
  drop_node_leaves(pm, gpa);
  release(&pm->lock);
  // Only a permission taken away can be stale somewhere; a new one is
  // found by the hart that faults on it (pmap_fault fences locally).
  if (old & ~perm & PMAP_RWX)
    tlb_shootdown(pm, gpa);
  else
    hfence_gvma(gpa);
  release(&pm->move_lock);
  return 0;
}

// Is machine page pa, a private page, held by anyone but its one
// mapping: a disk request that pinned it (pmap_pin)? (A shared page's
// count is its mappings too: is_shared tells those apart first.)
static bool pinned(uint64_t pa) {
  return __atomic_load_n(&memmap_lookup(pa)->refcount, __ATOMIC_ACQUIRE) > 1;
}

int pmap_move_page(struct pmap *pm, uint64_t gpa, int node) {
  if (!pmap_is_ram(pm, gpa))
    panic("pmap_move_page: gpa %p is not RAM of VM %d", (void *)gpa, pm->owner);
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  // Memory accounting (admission, hyp/mem/memmap.h): the VM's reservation
  // is on its home node (a spanning VM's, on each node, for its chunk).
  // To a node where it has reserved pages left, the new page comes out of
  // them. Elsewhere (a VM homed on node 0 whose vCPU the scheduler moved
  // to node 1, hyp/cpu/sched.c), memmap_alloc gives an unreserved page,
  // one no one else was promised, or nothing. Either way the old page,
  // freed below, goes back under the VM's reservation on its node: the VM
  // can still fault in every page it may have, or bring this one back, and
  // no other VM's promise is touched. But memmap_alloc falls back to other
  // nodes when `node` has no page for us: a page there is no move to
  // `node`, so we give it back and say so.
  uint64_t to = memmap_alloc(node, pm->owner);
  if (to != 0 && memmap_lookup(to)->node != node) {
    memmap_free(to);
    to = 0;
  }
  if (to == 0)
    return -1;
  // move_lock keeps pmap_pin out until we are done, so a page that is not
  // pinned now is not pinned during the copy. (A replicated page is made
  // one writable page again first: the move takes the master.)
  acquire(&pm->move_lock);
  collapse_locked(pm, gpa);
  // 1. Unmap, but keep pm->map[] pointing at the old page: a vCPU that
  //    touches gpa now faults, finds the page backed (pmap_fault) and
  //    retries until step 3; nothing can write the old page after step 2.
  acquire(&pm->lock);
  uint64_t from = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (from == 0 || is_shared(from) || pinned(from)) {
    release(&pm->lock);
    release(&pm->move_lock);
    memmap_free(to);
    return from == 0 ? PMAP_MOVED : is_shared(from) ? PMAP_SHARED : PMAP_PINNED;
  }
  uint64_t perm;
  unmap_locked(pm, gpa, &perm);
  release(&pm->lock);
  // 2. No hart can reach the old page through pm any more.
  tlb_shootdown(pm, gpa);
  // 3. Copy, and map the new page in its place.
  memcpy((void *)to, (void *)from, PAGE_SIZE);
  acquire(&pm->lock);
  forget_locked(pm, gpa, from);
  int r = pmap_enter_locked(pm, gpa, to, perm);
  release(&pm->lock);
  if (r < 0)
    panic("pmap_move_page: out of backmap records for VM %d", pm->owner);
  __atomic_fetch_add(&pm->tlb.c.pages_moved, 1, __ATOMIC_RELAXED);
  release(&pm->move_lock);
  memmap_free(from);
  return PMAP_MOVED;
}

// The machine page behind gpa with a reference taken on it, or 0 if gpa
// has none; for a caller that will write it (`write`), not replicated
// (lab 4). Taken under both locks: under `lock`, a pmap_remove on another
// hart cannot free the page between our look and our reference; under
// move_lock, no move is under way.
static uint64_t ref_page(struct pmap *pm, uint64_t gpa, bool write) {
  acquire(&pm->move_lock);
  if (write)
    collapse_locked(pm, gpa);     // a replicated page: one copy again (lab 4)
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (pa != 0)
    memmap_ref(pa);
  release(&pm->lock);
  release(&pm->move_lock);
  return pa;
}

uint64_t pmap_pin(struct pmap *pm, uint64_t gpa, bool write) {
  if (!pmap_is_ram(pm, gpa))
    return 0;
  // Back it if need be (and make it private if the device writes it),
  // then pin it. Another vCPU may change the page in between (a monitor
  // call, a read mapped shared): then start again.
  for (;;) {
    uint64_t pa = ref_page(pm, gpa, write);
    if (pa != 0 && !(write && is_shared(pa)))
      return pa + gpa % PAGE_SIZE;
    if (pa != 0) {
      memmap_free(pa);
      if (pmap_cow(pm, gpa) < 0)
        return 0;
    } else if (pmap_fault(pm, gpa) < 0) {
      return 0;
    }
  }
}

// Both copies hold the locks across the memcpy instead of taking a
// reference on the page (memmap_ref/free): the monitor copies a few bytes
// at a time (descriptors, ring entries) on every disk request, and the
// reference cost more than the copy. Into the guest needs move_lock too:
// a move copies the old page outside `lock`, and a write after its copy
// would be lost; out of the guest, `lock` alone keeps the page from being
// freed, and until a move's last step the old page's contents are right.
// Into a replicated page (lab 4) goes after a collapse, into a shared one
// (lab 3) after a copy on write: both are rare, and found with the one
// look at the page's record the usual case needs.
int pmap_copy_in(struct pmap *pm, uint64_t gpa, const void *src, uint64_t n) {
  for (;;) {
    acquire(&pm->move_lock);
    acquire(&pm->lock);
    uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
    struct memmap_entry *e = pa != 0 ? memmap_lookup(pa) : NULL;
    bool replicated = e != NULL && e->replicas != NULL;
    bool shared = e != NULL && e->owner == OWNER_SHARED;
    if (pa != 0 && !shared && !replicated)
      memcpy((void *)(pa + gpa % PAGE_SIZE), src, n);
    release(&pm->lock);
    if (replicated) {
      collapse_locked(pm, gpa);     // one copy again, then try again
      release(&pm->move_lock);
      continue;
    }
    release(&pm->move_lock);
    if (!shared)
      return pa != 0 ? 0 : -1;
    if (pmap_cow(pm, gpa) < 0)      // then try again on the private copy
      return -1;
  }
}

int pmap_copy_out(struct pmap *pm, void *dst, uint64_t gpa, uint64_t n) {
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (pa != 0)
    memcpy(dst, (void *)(pa + gpa % PAGE_SIZE), n);
  release(&pm->lock);
  return pa != 0 ? 0 : -1;
}

// Give gpa a private page of zeros: its own page zeroed in place (the
// guest asks for zeros as it hands the page out, to write it), or a fresh
// one if it has none (a shared one is made private first).
static int zero_own_page(struct pmap *pm, uint64_t gpa) {
  for (;;) {
    uint64_t pa = ref_page(pm, gpa, true);
    if (pa == 0)
      return pmap_fault(pm, gpa);   // a fresh page, which comes zeroed
    if (!is_shared(pa)) {
      memset((void *)pa, 0, PAGE_SIZE);
      memmap_free(pa);              // our reference only
      return 0;
    }
    memmap_free(pa);
    if (pmap_cow(pm, gpa) < 0)
      return -1;
  }
}

int pmap_zero(struct pmap *pm, uint64_t gpa) {
  if (!pmap_is_ram(pm, gpa))
    panic("pmap_zero: gpa %p is not RAM of VM %d", (void *)gpa, pm->owner);
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  // A shared page (lab 3): the zero page in its place, so that it still
  // costs the VM no page of its own. Anything else (or if that maps
  // nothing): a private page of zeros.
  if (maps_shared(pm, gpa)) {
    uint64_t zero = blockcache_zero_page(pmap_page_node(pm, gpa));
    if (zero != 0 && pmap_share(pm, gpa, zero) == 0)
      return 0;
    if (zero != 0)
      memmap_free(zero);            // not mapped (lab 3's handout)
  }
  return zero_own_page(pm, gpa);
}

// ---- Hinting faults (lab 4) ----

uint64_t pmap_revoke(struct pmap *pm, uint64_t gpa) {
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  uint64_t *pte = pa == 0 ? NULL : pmap_walk(pm, gpa, false);
  if (pte == NULL || !(*pte & PTE_V) || is_shared(pa) || memmap_lookup(pa)->replicas != NULL) {
    release(&pm->lock);
    return 0;
  }
  *pte = (*pte & ~PTE_V) | PTE_HINT;
  drop_node_leaves(pm, gpa);
  release(&pm->lock);
  return pa;
}

uint64_t pmap_restore(struct pmap *pm, uint64_t gpa) {
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  uint64_t *pte = pa == 0 ? NULL : pmap_walk(pm, gpa, false);
  if (pte == NULL || !(*pte & PTE_HINT)) {
    release(&pm->lock);
    return 0;
  }
  *pte = (*pte & ~PTE_HINT) | PTE_V;
  release(&pm->lock);
  hfence_gvma(gpa);                 // this hart may hold the invalid entry
  return pa;
}

// ---- Node tables and replicas (lab 4) ----

// Free a G-stage table: every level-1 and level-0 page, then the root.
static void free_table(uint64_t root_pa) {
  uint64_t *root = (uint64_t *)root_pa;
  for (int i = 0; i < ROOT_ENTRIES; i++) {
    if (!(root[i] & PTE_V))
      continue;
    uint64_t *l1 = (uint64_t *)pte_pa(root[i]);
    for (int j = 0; j < 512; j++)
      if (l1[j] & PTE_V)
        memmap_free(pte_pa(l1[j]));
    memmap_free((uint64_t)l1);
  }
  for (int i = 0; i < ROOT_PAGES; i++)
    memmap_free(root_pa + i * PAGE_SIZE);
}


int pmap_node_tables(struct pmap *pm, struct pmap tables[MAX_NODES], int nnodes) {
  for (int n = 0; n < nnodes; n++) {
    struct pmap *nt = &tables[n];
    memset(nt, 0, sizeof(*nt));
    nt->owner = OWNER_REPLICA;      // its pages: no VM's reservation
    nt->node = n;
    nt->root = memmap_alloc_contig(n, OWNER_REPLICA, ROOT_PAGES);
    if (nt->root == 0) {
      for (int k = 0; k < n; k++) {
        free_table(pm->node_tables[k]->root);
        pm->node_tables[k] = NULL;
      }
      return -1;
    }
    memset((void *)nt->root, 0, ROOT_PAGES * PAGE_SIZE);
    nt->table_pages = ROOT_PAGES;
    pm->node_tables[n] = nt;
  }
  return 0;
}

int pmap_node_fault(struct pmap *pm, int node, uint64_t gpa) {
  struct pmap *nt = pm->node_tables[node];
  if (nt == NULL || !pmap_is_ram(pm, gpa))
    return 0;
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  uint64_t *pte = pa != 0 ? pmap_walk(pm, gpa, false) : NULL;
  if (pte == NULL || !(*pte & PTE_V)) {
    release(&pm->lock);             // not mapped in the VM's table (a first
    return 0;                       //   touch, a hinting fault): not ours
  }
  uint64_t *npte = pmap_walk(nt, gpa, true);
  if (npte == NULL || (*npte & PTE_V)) {
    // No memory for the node table's pages; or the node's table has the
    // entry already (a write to a read-only page: not ours).
    release(&pm->lock);
    return npte == NULL ? -1 : 0;
  }
  uint64_t copy = replica_on(memmap_lookup(pa), node);
  *npte = (*pte & (PMAP_RWX | PTE_U | PTE_A | PTE_D)) | pa_pte(copy != 0 ? copy : pa) | PTE_V;
  release(&pm->lock);
  hfence_gvma(gpa);
  return 1;
}

int pmap_replicate(struct pmap *pm, uint64_t gpa, int node) {
  if (pm->node_tables[node] == NULL || !pmap_is_ram(pm, gpa))
    return -1;
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  uint64_t to = memmap_alloc(node, OWNER_REPLICA);
  if (to == 0)
    return -1;
  acquire(&pm->move_lock);
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  uint64_t *pte = pa != 0 ? pmap_walk(pm, gpa, false) : NULL;
  struct memmap_entry *e = pa != 0 ? memmap_lookup(pa) : NULL;
  // BEGIN LAB 4: copy the page to `node`, the page read-only everywhere
  // A private page mapped RWX (so that a collapse knows to give W back),
  // not pinned by the disk (which might write it behind the copies), not
  // on the node already, with no copy there.
  bool first = e != NULL && e->replicas == NULL;
  if (pte == NULL || !(*pte & PTE_V) || is_shared(pa) || pinned(pa) ||
      e->node == node || replica_on(e, node) != 0 ||
      (first && (*pte & PMAP_RWX) != PMAP_RWX)) {
    release(&pm->lock);
    release(&pm->move_lock);
    memmap_free(to);
    return -1;
  }
  // The first copy: no one may write the page from now on, on any hart.
  if (first) {
    *pte &= ~PMAP_W;
    drop_node_leaves(pm, gpa);
  }
  release(&pm->lock);
  if (first)
    tlb_shootdown(pm, gpa);
  memcpy((void *)to, (void *)pa, PAGE_SIZE);
  acquire(&pm->lock);
  struct memmap_entry *copy = memmap_lookup(to);
  copy->next = e->replicas;
  e->replicas = copy;
  // The node's table may map the master still: let it fault and take the
  // copy. (No shootdown: master and copy hold the same bytes, read-only.)
  struct pmap *nt = pm->node_tables[node];
  uint64_t *npte = pmap_walk(nt, gpa, false);
  if (npte != NULL)
    *npte = 0;
  pm->replicas++;
  release(&pm->lock);
  release(&pm->move_lock);
  return 0;
  // END LAB 4
  // STUB LAB 4: release(&pm->lock);
  // STUB LAB 4: release(&pm->move_lock);
  // STUB LAB 4: memmap_free(to);
  // STUB LAB 4: return -1;   // lab 4: pmap_replicate not implemented
}

// ---- Sharing (lab 3) ----

int pmap_share(struct pmap *pm, uint64_t gpa, uint64_t pa) {
  if (!pmap_is_ram(pm, gpa) || !is_shared(pa))
    panic("pmap_share: gpa %p of VM %d, page %p", (void *)gpa, pm->owner, (void *)pa);
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  // BEGIN LAB 3: map shared page pa read-only at gpa, in place of its page
  acquire(&pm->move_lock);
  collapse_locked(pm, gpa);
  acquire(&pm->lock);
  uint64_t old = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (old != 0) {
    uint64_t perm;
    unmap_locked(pm, gpa, &perm);
    forget_locked(pm, gpa, old);
  }
  if (pmap_enter_locked(pm, gpa, pa, PMAP_R | PMAP_X) < 0)
    panic("pmap_share: out of backmap records for VM %d", pm->owner);
  pm->shared++;
  pm->shares++;
  release(&pm->lock);
  // The old page may sit in other harts' TLBs, writable: none may write
  // it after we return (the guest expects the new contents at gpa).
  if (old != 0)
    tlb_shootdown(pm, gpa);
  else
    hfence_gvma(gpa);
  release(&pm->move_lock);
  if (old != 0)
    memmap_free(old);
  return 0;
  // END LAB 3
  // STUB LAB 3: static bool told;
  // STUB LAB 3: if (!told) printf("lab 3: pmap_share not implemented: pages are copied\n");
  // STUB LAB 3: told = true;
  // STUB LAB 3: return -1;
}

int pmap_cow(struct pmap *pm, uint64_t gpa) {
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  // BEGIN LAB 3: give gpa a private copy of its shared page
  // The same steps as a move (pmap_move_page), for the same reason: the
  // read-only mapping must be gone from every hart before anyone can
  // write the copy, or a vCPU could still read the shared page after
  // another wrote its copy.
  uint64_t to = memmap_alloc(pmap_page_node(pm, gpa), pm->owner);
  if (to == 0)
    return -1;
  acquire(&pm->move_lock);
  acquire(&pm->lock);
  uint64_t from = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (from == 0 || !is_shared(from)) {
    release(&pm->lock);
    release(&pm->move_lock);
    memmap_free(to);
    return 0;                       // not shared (or another vCPU broke it)
  }
  uint64_t perm;
  unmap_locked(pm, gpa, &perm);
  release(&pm->lock);
  tlb_shootdown(pm, gpa);
  memcpy((void *)to, (void *)from, PAGE_SIZE);
  acquire(&pm->lock);
  forget_locked(pm, gpa, from);
  if (pmap_enter_locked(pm, gpa, to, PMAP_RWX) < 0)
    panic("pmap_cow: out of backmap records for VM %d", pm->owner);
  pm->cow_breaks++;
  release(&pm->lock);
  release(&pm->move_lock);
  memmap_free(from);                // the shared mapping's reference
  return 1;
  // END LAB 3
  // STUB LAB 3: if (maps_shared(pm, gpa)) panic("lab 3: pmap_cow not implemented");
  // STUB LAB 3: return 0;
}

void pmap_destroy(struct pmap *pm) {
  acquire(&pm->lock);
  // Guest pages: drop the back-mapping and the page (and its copies on
  // other nodes, lab 4).
  for (uint64_t i = 0; i < pm->ram_size / PAGE_SIZE; i++) {
    uint64_t pa = pm->map[i];
    if (pa == 0)
      continue;
    struct memmap_entry *e = memmap_lookup(pa);
    memmap_backmap_remove(e, pm->owner, pm->ram_base + i * PAGE_SIZE);
    free_replicas(e->replicas);
    e->replicas = NULL;
    memmap_free(pa);
  }
  free_table(pm->root);
  for (int n = 0; n < MAX_NODES; n++) {
    if (pm->node_tables[n] != NULL && pm->node_tables[n]->root != 0)
      free_table(pm->node_tables[n]->root);
    pm->node_tables[n] = NULL;
  }
  for (uint64_t i = 0; i < pm->map_pages; i++)
    memmap_free((uint64_t)pm->map + i * PAGE_SIZE);
  pm->root = 0;
  pm->map = NULL;
  release(&pm->lock);
}
