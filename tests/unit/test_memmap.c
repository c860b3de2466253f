// tests/unit/test_memmap.c: the memmap and its per-node page allocator
// (hyp/mem/memmap.c), on made-up machines.
//
// The allocator hands out machine memory to everything the monitor will
// build: page tables, guest memory, replicas. If its accounting drifts, or
// it hands out a reserved page, or a page twice, the bug shows up much
// later as a guest that reads another guest's data. These tests pin the
// contract down where such a bug is still easy to see.
#include <stdlib.h>
#include "hyp/mem/memmap.h"
#include "tests/unit/host_stubs.h"
#include "tests/unit/unit.h"

#define BASE 0x80000000UL

// Distances for the usual machines: 10 local, 20 remote.
static uint32_t flat[MAX_NODES][MAX_NODES];

static void flat_distances(void) {
  for (int a = 0; a < MAX_NODES; a++)
    for (int b = 0; b < MAX_NODES; b++)
      flat[a][b] = a == b ? 10 : 20;
}

// Records for a range of `pages` pages, from a static pool: the memmap
// keeps pointing at them until the next memmap_init, which every test
// starts with (and which empties the pool).
static struct memmap_entry pool[256];
static int pool_used;

static struct memmap_entry *records(int pages) {
  if (pool_used + pages > (int)(sizeof(pool) / sizeof(pool[0])))
    abort();                          // a test wants more: make pool bigger
  pool_used += pages;
  return &pool[pool_used - pages];
}

static void start(int nodes, const uint32_t dist[MAX_NODES][MAX_NODES]) {
  pool_used = 0;
  memmap_init(nodes, dist);
}

// A machine with `nodes` nodes of `pages` pages each, node n's memory at
// BASE + n * pages pages, nothing reserved.
static void machine_of(int nodes, int pages) {
  flat_distances();
  start(nodes, flat);
  for (int n = 0; n < nodes; n++)
    memmap_add_range(BASE + (uint64_t)n * pages * PAGE_SIZE,
                     (uint64_t)pages * PAGE_SIZE, n, records(pages));
}

// Accounting on one node: total = reserved + free + used at every step;
// allocation comes in ascending address order; running out returns 0; a
// freed page can be had again.
static void accounting_and_exhaustion(void) {
  machine_of(1, 16);
  memmap_reserve(BASE, 2 * PAGE_SIZE);            // pages 0 and 1
  memmap_ready();
  struct memmap_node_stats s = memmap_stats(0);
  CHECK_EQ(s.total, 16);
  CHECK_EQ(s.reserved, 2);
  CHECK_EQ(s.free, 14);
  CHECK_EQ(s.used, 0);

  uint64_t got[14];
  for (int i = 0; i < 14; i++) {
    got[i] = memmap_alloc(0, 7);
    CHECK_EQ(got[i], BASE + (uint64_t)(i + 2) * PAGE_SIZE);
    s = memmap_stats(0);
    CHECK_EQ(s.free + s.used + s.reserved, s.total);
  }
  CHECK_EQ(memmap_alloc(0, 7), 0);                // exhausted
  s = memmap_stats(0);
  CHECK_EQ(s.free, 0);
  CHECK_EQ(s.used, 14);

  memmap_free(got[5]);
  CHECK_EQ(memmap_stats(0).free, 1);
  CHECK_EQ(memmap_alloc(0, 7), got[5]);           // the freed page comes back
}

// A record says who has the page: state, owner and refcount, and
// memmap_lookup/memmap_pa translate both ways.
static void record_fields(void) {
  machine_of(2, 8);
  memmap_ready();
  uint64_t pa = memmap_alloc(1, 42);
  struct memmap_entry *e = memmap_lookup(pa);
  CHECK(e != NULL);
  CHECK_EQ(e->state, PAGE_USED);
  CHECK_EQ(e->owner, 42);
  CHECK_EQ(e->refcount, 1);
  CHECK_EQ(e->node, 1);
  CHECK_EQ(memmap_pa(e), pa);
  CHECK_EQ(memmap_lookup(pa + 123), e);           // any byte of the page
  CHECK(memmap_lookup(BASE - 1) == NULL);          // below RAM
  CHECK(memmap_lookup(BASE + 16 * PAGE_SIZE) == NULL);  // just past it
  memmap_free(pa);
  CHECK_EQ(e->state, PAGE_FREE);
  CHECK_EQ(e->owner, OWNER_NONE);
  CHECK_EQ(e->refcount, 0);
}

// A page with a second reference (memmap_ref: a disk request using it)
// survives its owner's free, and goes back to the free list only when
// the last reference is dropped; a page not in use cannot be referenced.
static void references_keep_page(void) {
  machine_of(1, 8);
  memmap_ready();
  uint64_t pa = memmap_alloc(0, 3);
  struct memmap_entry *e = memmap_lookup(pa);
  uint64_t free_before = memmap_stats(0).free;
  memmap_ref(pa);
  CHECK_EQ(e->refcount, 2);
  memmap_free(pa);                                 // the owner lets go
  CHECK_EQ(e->state, PAGE_USED);
  CHECK_EQ(e->refcount, 1);
  CHECK_EQ(memmap_stats(0).free, free_before);
  memmap_free(pa);                                 // the request lets go
  CHECK_EQ(e->state, PAGE_FREE);
  CHECK_EQ(memmap_stats(0).free, free_before + 1);
  CHECK(PANICS(memmap_ref(pa)));
  CHECK(PANICS(memmap_ref(0x1000)));
}

// The fallback order follows the distance matrix, nearest first, ties
// broken by the lower node id, and always starts with the node itself.
static void fallback_order_by_distance(void) {
  uint32_t d[MAX_NODES][MAX_NODES] = {
      {10, 30, 15, 20},
      {20, 10, 20, 40},
      {15, 20, 10, 25},
      {20, 40, 25, 10},
  };
  start(4, d);
  int order[MAX_NODES];
  CHECK_EQ(memmap_fallback_order(0, order), 4);
  CHECK(order[0] == 0 && order[1] == 2 && order[2] == 3 && order[3] == 1);
  memmap_fallback_order(1, order);
  CHECK(order[0] == 1 && order[1] == 0 && order[2] == 2 && order[3] == 3);
  memmap_fallback_order(3, order);
  CHECK(order[0] == 3 && order[1] == 0 && order[2] == 2 && order[3] == 1);
}

// When the preferred node is full, pages come from the nearest node that
// has some, and the per-node counters tell local from remote allocations.
static void alloc_falls_back_to_nearest(void) {
  uint32_t d[MAX_NODES][MAX_NODES] = {
      {10, 40, 20, 30},
      {40, 10, 20, 20},
      {20, 20, 10, 20},
      {30, 20, 20, 10},
  };
  start(4, d);
  for (int n = 0; n < 4; n++)
    memmap_add_range(BASE + (uint64_t)n * 2 * PAGE_SIZE, 2 * PAGE_SIZE, n,
                     records(2));
  memmap_ready();

  int want[] = {0, 0, 2, 2, 3, 3, 1, 1};          // node 0's order: 0 2 3 1
  for (int i = 0; i < 8; i++) {
    uint64_t pa = memmap_alloc(0, 1);
    CHECK(pa != 0);
    CHECK_EQ(memmap_lookup(pa)->node, want[i]);
  }
  CHECK_EQ(memmap_alloc(0, 1), 0);
  CHECK_EQ(memmap_stats(0).alloc_local, 2);
  CHECK_EQ(memmap_stats(2).alloc_remote, 2);
  CHECK_EQ(memmap_stats(1).alloc_remote, 2);
  CHECK_EQ(memmap_stats(1).alloc_local, 0);
}

// A node with harts but no memory of its own still gets pages: all of
// them from the nearest node.
static void node_without_memory(void) {
  flat_distances();
  start(2, flat);
  memmap_add_range(BASE, 4 * PAGE_SIZE, 1, records(4));
  memmap_ready();
  uint64_t pa = memmap_alloc(0, 1);
  CHECK(pa != 0);
  CHECK_EQ(memmap_lookup(pa)->node, 1);
  CHECK_EQ(memmap_stats(0).total, 0);
}

// Reservations cover every page they touch, even partly; reservations
// outside RAM are ignored; the same page reserved twice counts once.
static void reserve_rounds_out(void) {
  machine_of(1, 8);
  memmap_reserve(BASE + PAGE_SIZE + 100, 2 * PAGE_SIZE);   // pages 1,2,3
  memmap_reserve(BASE + 2 * PAGE_SIZE, 1);                 // page 2 again
  memmap_reserve(0x1000, 0x2000);                          // not RAM
  memmap_ready();
  struct memmap_node_stats s = memmap_stats(0);
  CHECK_EQ(s.reserved, 3);
  CHECK_EQ(s.free, 5);
  for (uint64_t p = 1; p <= 3; p++)
    CHECK_EQ(memmap_lookup(BASE + p * PAGE_SIZE)->state, PAGE_RESERVED);
  // None of the five free pages is a reserved one.
  for (int i = 0; i < 5; i++) {
    uint64_t pa = memmap_alloc(0, 1);
    CHECK(pa == BASE || pa >= BASE + 4 * PAGE_SIZE);
  }
}

// Freeing a page twice is caught, with the page named in the message.
static void double_free_caught(void) {
  machine_of(1, 4);
  memmap_ready();
  uint64_t pa = memmap_alloc(0, 1);
  memmap_free(pa);
  CHECK(PANICS(memmap_free(pa)));
  CHECK(strstr(panic_message, "already free") != NULL);
  CHECK(strstr(panic_message, "80000000") != NULL);
  CHECK_EQ(memmap_stats(0).free, 4);              // nothing changed
}

// Freeing what was never allocated: a reserved page, an address that is
// not RAM, an address inside a page. All caught; accounting unchanged.
static void bad_free_caught(void) {
  machine_of(1, 4);
  memmap_reserve(BASE, PAGE_SIZE);
  memmap_ready();
  CHECK(PANICS(memmap_free(BASE)));
  CHECK(strstr(panic_message, "reserved") != NULL);
  CHECK(PANICS(memmap_free(0x1000)));
  CHECK(strstr(panic_message, "not a page of RAM") != NULL);
  uint64_t pa = memmap_alloc(0, 1);
  CHECK(PANICS(memmap_free(pa + 8)));
  CHECK_EQ(memmap_stats(0).used, 1);
  CHECK_EQ(memmap_stats(0).reserved, 1);
}

// Bad ranges are refused: unaligned, overlapping, on a node that does not
// exist. Allocating from a node that does not exist is a panic.
static void bad_ranges_refused(void) {
  flat_distances();
  start(2, flat);
  CHECK_EQ(memmap_add_range(BASE + 1, PAGE_SIZE, 0, records(1)), -1);
  CHECK_EQ(memmap_add_range(BASE, PAGE_SIZE + 5, 0, records(2)), -1);
  CHECK_EQ(memmap_add_range(BASE, 4 * PAGE_SIZE, 0, records(4)), 0);
  CHECK_EQ(memmap_add_range(BASE + 3 * PAGE_SIZE, 4 * PAGE_SIZE, 1,
                            records(4)), -1);
  CHECK_EQ(memmap_add_range(BASE + 8 * PAGE_SIZE, PAGE_SIZE, 2, records(1)),
           -1);
  memmap_ready();
  CHECK_EQ(memmap_stats(0).total, 4);
  CHECK(PANICS(memmap_alloc(5, 1)));
}

// Contiguous runs: aligned to their size, on the preferred node when it
// has one, skipping runs with a used or reserved page, falling back to
// the nearest node, and 0 when no node has one. The pages of a run also
// leave the free lists (single-page allocation never returns them).
static void contiguous_runs(void) {
  machine_of(2, 16);
  memmap_reserve(BASE + PAGE_SIZE, PAGE_SIZE);    // breaks node 0's first run
  memmap_ready();
  uint64_t pa = memmap_alloc_contig(0, 3, 4);
  CHECK_EQ(pa, BASE + 4 * PAGE_SIZE);
  for (int k = 0; k < 4; k++)
    CHECK_EQ(memmap_lookup(pa + k * PAGE_SIZE)->state, PAGE_USED);
  CHECK_EQ(memmap_stats(0).free, 11);
  // Node 0 still has pages 8..15 in one aligned run of 8: 8-page request.
  CHECK_EQ(memmap_alloc_contig(0, 3, 8), BASE + 8 * PAGE_SIZE);
  // Node 0 has no aligned run of 4 left: the next one comes from node 1.
  uint64_t remote = memmap_alloc_contig(0, 3, 4);
  CHECK_EQ(memmap_lookup(remote)->node, 1);
  CHECK_EQ(memmap_alloc_contig(0, 3, 32), 0);      // bigger than any node
  // The pages left on node 0 (0, 2, 3) are exactly what memmap_alloc sees.
  CHECK_EQ(memmap_alloc(0, 1), BASE);
  CHECK_EQ(memmap_alloc(0, 1), BASE + 2 * PAGE_SIZE);
  CHECK_EQ(memmap_alloc(0, 1), BASE + 3 * PAGE_SIZE);
  CHECK_EQ(memmap_lookup(memmap_alloc(0, 1))->node, 1);
  CHECK(PANICS(memmap_alloc_contig(0, 3, 3)));     // not a power of two
}

// ---- Admission: reservations (memmap_reserve_pages) ----

// Pages per node, for memmap_reserve_pages.
static void want(uint64_t pages[MAX_NODES], uint64_t n0, uint64_t n1) {
  for (int n = 0; n < MAX_NODES; n++)
    pages[n] = 0;
  pages[0] = n0;
  pages[1] = n1;
}

// A reservation takes pages off a node's unreserved count, never more
// than it has; a request that does not fit on one node reserves nothing
// anywhere, and says which node was short; giving it back restores the
// counts.
static void reserve_counts_all_or_nothing(void) {
  machine_of(2, 16);
  memmap_ready();
  uint64_t p[MAX_NODES];
  int short_node = -1;
  want(p, 10, 4);
  CHECK_EQ(memmap_reserve_pages(1, p, &short_node), 0);
  CHECK_EQ(memmap_stats(0).resv, 10);
  CHECK_EQ(memmap_stats(0).unreserved, 6);
  CHECK_EQ(memmap_stats(1).unreserved, 12);
  CHECK_EQ(memmap_stats(0).free, 16);            // counts, not pages

  want(p, 2, 13);                                // node 1 has only 12
  CHECK_EQ(memmap_reserve_pages(2, p, &short_node), -1);
  CHECK_EQ(short_node, 1);
  CHECK_EQ(memmap_stats(0).unreserved, 6);       // node 0 untouched
  want(p, 7, 0);
  CHECK_EQ(memmap_reserve_pages(2, p, &short_node), -1);
  CHECK_EQ(short_node, 0);
  want(p, 6, 12);                                // exactly what is left
  CHECK_EQ(memmap_reserve_pages(2, p, &short_node), 0);
  CHECK_EQ(memmap_stats(0).unreserved, 0);
  CHECK_EQ(memmap_stats(1).unreserved, 0);

  want(p, 10, 4);
  memmap_unreserve_pages(1, p);
  CHECK_EQ(memmap_stats(0).unreserved, 10);
  CHECK_EQ(memmap_stats(1).unreserved, 4);
  CHECK_EQ(memmap_stats(0).resv, 6);
  CHECK(PANICS(memmap_unreserve_pages(1, p)));   // nothing left to give
}

// The guarantee: once an owner has reserved pages on a node, no one
// else's allocations can take them (they get 0 instead), and the owner
// gets every one of them, on that node, however the others allocated.
static void reserved_pages_cannot_be_taken(void) {
  machine_of(2, 8);
  memmap_ready();
  uint64_t p[MAX_NODES];
  int short_node;
  want(p, 5, 0);
  CHECK_EQ(memmap_reserve_pages(1, p, &short_node), 0);

  // A hog without a reservation: node 0's 3 unreserved pages, then node
  // 1's 8 (the fallback), then nothing.
  int got = 0;
  while (memmap_alloc(0, 2) != 0)
    got++;
  CHECK_EQ(got, 3 + 8);
  CHECK_EQ(memmap_stats(0).free, 5);             // kept for owner 1
  CHECK_EQ(memmap_alloc_contig(0, 2, 1), 0);

  for (int i = 0; i < 5; i++) {
    uint64_t pa = memmap_alloc(0, 1);
    CHECK(pa != 0);
    CHECK_EQ(memmap_lookup(pa)->node, 0);
  }
  CHECK_EQ(memmap_stats(0).resv_used, 5);
  CHECK_EQ(memmap_alloc(0, 1), 0);               // beyond its reservation
}

// A page the owner frees goes back to its own reservation, not to the
// others; a page beyond the reservation is an unreserved one, and frees
// as one. Giving the reservation back lets the others have the pages.
static void freed_pages_return_to_their_reservation(void) {
  machine_of(1, 8);
  memmap_ready();
  uint64_t p[MAX_NODES];
  int short_node;
  want(p, 4, 0);
  CHECK_EQ(memmap_reserve_pages(1, p, &short_node), 0);
  uint64_t mine[5];
  for (int i = 0; i < 5; i++)
    mine[i] = memmap_alloc(0, 1);                // 4 reserved, 1 beyond
  CHECK(mine[4] != 0);
  CHECK_EQ(memmap_stats(0).resv_used, 4);
  CHECK_EQ(memmap_stats(0).unreserved, 3);

  memmap_free(mine[0]);
  CHECK_EQ(memmap_stats(0).unreserved, 4);       // the one beyond, back
  memmap_free(mine[1]);
  CHECK_EQ(memmap_stats(0).unreserved, 4);       // still owner 1's
  CHECK_EQ(memmap_stats(0).resv_used, 3);
  int others = 0;
  while (memmap_alloc(0, 2) != 0)
    others++;
  CHECK_EQ(others, 4);
  CHECK(memmap_alloc(0, 1) != 0);                // its page was kept

  for (int i = 2; i < 5; i++)
    memmap_free(mine[i]);
  want(p, 4, 0);
  memmap_unreserve_pages(1, p);
  CHECK_EQ(memmap_stats(0).resv, 0);
  CHECK_EQ(memmap_stats(0).resv_used, 0);
  CHECK_EQ(memmap_stats(0).unreserved, memmap_stats(0).free);
}

// Contiguous runs come out of a reservation too, on its node only.
static void contiguous_runs_from_a_reservation(void) {
  machine_of(2, 8);
  memmap_ready();
  uint64_t p[MAX_NODES];
  int short_node;
  want(p, 8, 0);                                 // all of node 0
  CHECK_EQ(memmap_reserve_pages(1, p, &short_node), 0);
  uint64_t other = memmap_alloc_contig(0, 2, 4); // someone else: node 1
  CHECK(other != 0);
  CHECK_EQ(memmap_lookup(other)->node, 1);
  CHECK_EQ(memmap_alloc_contig(0, 1, 4), BASE);  // owner 1: node 0
  CHECK_EQ(memmap_alloc_contig(0, 1, 8), 0);     // only 4 of its 8 left
  CHECK_EQ(memmap_stats(0).resv_used, 4);
}

int main(void) {
  TEST_RUN(accounting_and_exhaustion);
  TEST_RUN(record_fields);
  TEST_RUN(references_keep_page);
  TEST_RUN(fallback_order_by_distance);
  TEST_RUN(alloc_falls_back_to_nearest);
  TEST_RUN(node_without_memory);
  TEST_RUN(reserve_rounds_out);
  TEST_RUN(double_free_caught);
  TEST_RUN(bad_free_caught);
  TEST_RUN(bad_ranges_refused);
  TEST_RUN(contiguous_runs);
  TEST_RUN(reserve_counts_all_or_nothing);
  TEST_RUN(reserved_pages_cannot_be_taken);
  TEST_RUN(freed_pages_return_to_their_reservation);
  TEST_RUN(contiguous_runs_from_a_reservation);
  return TEST_EXIT();
}
