// tests/unit/test_blockcache.c: host tests for hyp/mem/blockcache.c, the
// disk-block cache of lab 3, on a made-up one-node machine whose "machine
// memory" is an ordinary buffer, with the real memmap.
//
// What they prove: the sorted index finds what was put in, in any order;
// a block filled twice (two VMs at once) keeps one page; a write forgets
// exactly the blocks it touches, and a page someone maps outlives that;
// eviction takes only pages no one maps, when memory runs short or the
// table is full; and the image and zero pages are kept apart from disk
// blocks. The cache's state is static, so each case runs in a child
// process of its own, on a fresh machine (tests/unit/fork_cases.h).
#include <stdlib.h>
#include <string.h>

#include "hyp/mem/blockcache.h"
#include "hyp/mem/memmap.h"
#include "tests/unit/fork_cases.h"
#include "tests/unit/host_stubs.h"
#include "tests/unit/unit.h"

#define NODE_PAGES (BLOCKCACHE_MAX + 1024)   // room to fill the index
#define HOARDER 0x7777                        // an owner that takes memory

static uint8_t *machine;
static struct memmap_entry *records;

static void boot_machine(void) {
  size_t bytes = (size_t)NODE_PAGES * PAGE_SIZE;
  machine = aligned_alloc(64 * 1024, bytes);
  records = calloc(NODE_PAGES, sizeof(*records));
  if (machine == NULL || records == NULL)
    abort();
  uint32_t dist[MAX_NODES][MAX_NODES] = {{10}};
  memmap_init(1, dist);
  memmap_add_range((uint64_t)machine, bytes, 0, records);
  memmap_ready();
}

// Fill block b: a page from the cache, its first byte b, inserted.
// Returns the page the caller holds a reference on.
static uint64_t fill(uint64_t b) {
  uint64_t pa = blockcache_alloc(0);
  if (pa == 0)
    return 0;
  *(uint8_t *)pa = (uint8_t)b;
  return blockcache_insert(b, pa);
}

static uint32_t refs(uint64_t pa) { return memmap_lookup(pa)->refcount; }

static void blockcache_finds_in_any_order(void) {
  uint64_t order[] = {50, 3, 77, 12, 4, 1000, 0, 51};
  uint64_t pages[8];
  for (int i = 0; i < 8; i++) {
    pages[i] = fill(order[i]);
    CHECK(pages[i] != 0);
    memmap_free(pages[i]);           // as a VM that unmapped it again
  }
  CHECK_EQ(blockcache_get(5), 0);
  for (int i = 0; i < 8; i++) {
    uint64_t pa = blockcache_get(order[i]);
    CHECK_EQ(pa, pages[i]);
    CHECK_EQ(*(uint8_t *)pa, (uint8_t)order[i]);
    CHECK_EQ(memmap_lookup(pa)->owner, OWNER_SHARED);
    memmap_free(pa);
  }
  struct blockcache_stats s = blockcache_stats();
  CHECK_EQ(s.blocks, 8);
  CHECK_EQ(s.mapped, 0);
  CHECK_EQ(s.hits, 8);
}

// Two VMs read block 9 at once: the second insert gets the first's page.
static void blockcache_insert_twice_keeps_one(void) {
  uint64_t first = fill(9);
  uint64_t second_page = blockcache_alloc(0);
  uint64_t got = blockcache_insert(9, second_page);
  CHECK_EQ(got, first);
  CHECK_EQ(memmap_lookup(second_page)->state, PAGE_FREE);
  CHECK_EQ(refs(first), 3);          // the index, and both callers
  CHECK_EQ(blockcache_stats().blocks, 1);
}

// A write of sectors 16..23 (block 2) forgets block 2 alone; a VM that
// maps it keeps its page until it lets go.
static void blockcache_write_forgets_its_blocks(void) {
  uint64_t b1 = fill(1), b2 = fill(2), b3 = fill(3);
  memmap_free(b1);
  memmap_free(b3);
  blockcache_forget(2 * BLOCK_SECTORS + 3, 1);   // one sector of block 2
  CHECK_EQ(blockcache_get(2), 0);
  uint64_t pa = blockcache_get(1);
  CHECK_EQ(pa, b1);
  memmap_free(pa);
  pa = blockcache_get(3);
  CHECK_EQ(pa, b3);
  memmap_free(pa);
  CHECK_EQ(memmap_lookup(b2)->state, PAGE_USED);  // still mapped
  CHECK_EQ(refs(b2), 1);
  memmap_free(b2);
  CHECK_EQ(memmap_lookup(b2)->state, PAGE_FREE);
  CHECK_EQ(blockcache_stats().forgotten, 1);
}

// When memory runs short, the pages no one maps go first, the mapped stay.
static void blockcache_evicts_unmapped_when_short(void) {
  uint64_t mapped = fill(1);         // kept: a VM maps it
  for (uint64_t b = 2; b < 40; b++)
    memmap_free(fill(b));            // unmapped
  // Take every free page but the slack: the next alloc must evict.
  uint64_t pa;
  while (memmap_stats(0).unreserved > BLOCKCACHE_SLACK && (pa = memmap_alloc(0, HOARDER)) != 0)
    ;
  uint64_t page = blockcache_alloc(0);
  CHECK(page != 0);
  struct blockcache_stats s = blockcache_stats();
  CHECK(s.evicted > 0);
  CHECK_EQ(blockcache_get(1), mapped);
  memmap_free(mapped);
  CHECK_EQ(s.mapped, 1);
}

// blockcache_shrink (admission) frees every unmapped page at once.
static void blockcache_shrink_frees_unmapped(void) {
  uint64_t mapped = fill(7);
  for (uint64_t b = 100; b < 110; b++)
    memmap_free(fill(b));
  uint64_t free_before = memmap_stats(0).free;
  CHECK_EQ(blockcache_shrink(), 10);
  CHECK_EQ(memmap_stats(0).free, free_before + 10);
  CHECK_EQ(blockcache_stats().blocks, 1);
  memmap_free(mapped);
}

// A full index evicts an unmapped entry to make room; full of mapped
// entries, it still hands the page back, unindexed.
static void blockcache_full_table(void) {
  static uint64_t held[BLOCKCACHE_MAX];
  for (uint64_t b = 0; b < BLOCKCACHE_MAX; b++) {
    held[b] = fill(b);
    CHECK(held[b] != 0);
  }
  uint64_t extra = fill(BLOCKCACHE_MAX);       // all mapped: not indexed
  CHECK(extra != 0);
  CHECK_EQ(blockcache_get(BLOCKCACHE_MAX), 0);
  CHECK_EQ(refs(extra), 1);
  memmap_free(held[17]);                       // block 17 unmapped now
  uint64_t again = fill(BLOCKCACHE_MAX + 1);
  uint64_t pa = blockcache_get(BLOCKCACHE_MAX + 1);
  CHECK_EQ(pa, again);
  CHECK_EQ(blockcache_get(17), 0);             // evicted for it
  memmap_free(pa);
}

// Image pages are keyed apart from disk blocks, per node; the zero page
// is one page of zeros, kept.
static void blockcache_image_and_zero_pages(void) {
  static uint8_t bytes[PAGE_SIZE] __attribute__((aligned(4096)));
  memset(bytes, 0x5a, sizeof(bytes));
  uint64_t a = blockcache_image_page(bytes, 0);
  uint64_t b = blockcache_image_page(bytes, 0);
  CHECK(a != 0);
  CHECK_EQ(a, b);
  CHECK_EQ(*(uint8_t *)a, 0x5a);
  CHECK_EQ(blockcache_get((uint64_t)bytes / PAGE_SIZE), 0);   // not a disk block
  uint64_t z = blockcache_zero_page(0);
  CHECK(z != 0);
  CHECK_EQ(blockcache_zero_page(0), z);
  CHECK_EQ(*(uint64_t *)(z + 8), 0);
}

static const struct fork_case cases[] = {
#define CASE(f) {#f, f}
    CASE(blockcache_finds_in_any_order), CASE(blockcache_insert_twice_keeps_one),
    CASE(blockcache_write_forgets_its_blocks), CASE(blockcache_evicts_unmapped_when_short),
    CASE(blockcache_shrink_frees_unmapped), CASE(blockcache_full_table),
    CASE(blockcache_image_and_zero_pages),
};

int main(int argc, char **argv) {
  return fork_cases_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]), boot_machine);
}
