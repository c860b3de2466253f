// grade/unit/test_lab3.c: lab 3's host tests, for the grader (grade/lab3.py).
//
// pmap_share and pmap_cow run here on the host, on a made-up machine of
// one node whose "machine memory" is an ordinary buffer, with the real
// memmap, back-mappings and blockcache; lab 2's shootdown is a stand-in
// that counts its calls (shootdown_stand_in.h). Each case runs in a child
// process of its own on a fresh machine, so a panic (the handout's
// pmap_cow stub) fails that case alone:
//
//     ok   share_maps_read_only
//     FAIL cow_copies: panic: lab 3: pmap_cow not implemented
//
// hyp/mem/pmap.c is #included, so that the cases can read the G-stage
// table with its own pmap_walk. Run with no argument for every case, or
// name the cases to run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyp/mem/pmap.c"

#include "grade/unit/shootdown_stand_in.h"

#include "hyp/mem/backmap.h"
#include "hyp/mem/blockcache.h"
#include "tests/unit/host_stubs.h"
#include "tests/unit/fork_cases.h"
#include "tests/unit/unit.h"

// ---- The made-up machine ------------------------------------------------

#define NODE_PAGES 2048                    // 8 MiB of "machine memory"
#define VM_A 5                             // two VMs' pmaps
#define VM_B 6
#define RAM_BASE 0x80000000UL
#define GPA (RAM_BASE + 0x3000)

static uint8_t *machine;
static struct memmap_entry records[NODE_PAGES];
static struct pmap pa_, pb_;               // VM_A's and VM_B's pmaps

static void boot_machine(void) {
  size_t bytes = (size_t)NODE_PAGES * PAGE_SIZE;
  machine = aligned_alloc(64 * 1024, bytes);
  if (machine == NULL)
    abort();
  memset(machine, 0xa5, bytes);
  uint32_t dist[MAX_NODES][MAX_NODES] = {{10}};
  memmap_init(1, dist);
  memmap_add_range((uint64_t)machine, bytes, 0, records);
  memmap_ready();
  if (pmap_init(&pa_, VM_A, 0, RAM_BASE, 1 * MiB) < 0 ||
      pmap_init(&pb_, VM_B, 0, RAM_BASE, 1 * MiB) < 0) {
    printf("test setup: pmap_init failed\n");
    abort();
  }
}

// A block of the disk, cached: a shared page full of `byte`, with a
// reference for the caller (as the virtual disk holds one after a read).
static uint64_t cached_block(uint64_t block, uint8_t byte) {
  uint64_t pa = blockcache_alloc(0);
  if (pa == 0) {
    printf("test setup: blockcache_alloc failed\n");
    abort();
  }
  memset((void *)pa, byte, PAGE_SIZE);
  return blockcache_insert(block, pa);
}

static uint32_t refs(uint64_t pa) { return memmap_lookup(pa)->refcount; }
static int state(uint64_t pa) { return memmap_lookup(pa)->state; }

// gpa's leaf PTE in pm's table (0 if none), read with pmap_walk.
static uint64_t leaf(struct pmap *pm, uint64_t gpa) {
  uint64_t *pte = pmap_walk(pm, gpa, false);
  return pte == NULL ? 0 : *pte;
}

// Is (vm, gpa) among the back-mappings of pa?
static bool backmapped(uint64_t pa, uint16_t vm, uint64_t gpa) {
  for (struct backmap *b = memmap_lookup(pa)->backmaps; b != NULL; b = b->next)
    if (b->vm == vm && b->gpa == gpa)
      return true;
  return false;
}

// ---- pmap_share -------------------------------------------------------------

// A page the guest touched is replaced by the shared page, read-only.
static void share_maps_read_only(void) {
  CHECK_EQ(pmap_fault(&pa_, GPA), 0);
  uint64_t old = pmap_lookup(&pa_, GPA);
  uint64_t s = cached_block(7, 0x22);
  CHECK_EQ(refs(s), 2);                    // the index, and ours
  shootdowns = 0;
  CHECK_EQ(pmap_share(&pa_, GPA, s), 0);
  CHECK_EQ(pmap_lookup(&pa_, GPA), s);
  uint64_t pte = leaf(&pa_, GPA);
  if (!(pte & PTE_V) || (pte >> 10) != (s >> PAGE_SHIFT))
    FAILF("the leaf PTE %#lx does not map the shared page %#lx", pte, s);
  if ((pte & PMAP_W) || !(pte & PMAP_R) || !(pte & PTE_U))
    FAILF("the leaf PTE %#lx: want R and U set and W clear (read-only)", pte);
  CHECK_EQ(refs(s), 2);                    // our reference became the mapping's
  CHECK_EQ(state(old), PAGE_FREE);         // the guest's old page is given back
  CHECK(backmapped(s, VM_A, GPA));
  CHECK(!backmapped(old, VM_A, GPA));
  CHECK_EQ(pa_.shared, 1);
  CHECK_EQ(pa_.mapped[0], 1);
  if (shootdowns == 0)
    FAILF("the old page was mapped (maybe writable, on other harts): no shootdown");
}

// A page the guest never touched gets the shared page too.
static void share_into_empty_page(void) {
  uint64_t s = cached_block(8, 0x33);
  CHECK_EQ(pmap_share(&pa_, GPA, s), 0);
  CHECK_EQ(pmap_lookup(&pa_, GPA), s);
  CHECK(!(leaf(&pa_, GPA) & PMAP_W));
  CHECK_EQ(refs(s), 2);
  CHECK_EQ(pa_.shared, 1);
}

// Two VMs map one page: one machine page, two mappings.
static void share_two_vms(void) {
  uint64_t s = cached_block(9, 0x44);
  memmap_ref(s);                           // a second read's reference
  CHECK_EQ(pmap_share(&pa_, GPA, s), 0);
  CHECK_EQ(pmap_share(&pb_, GPA + PAGE_SIZE, s), 0);
  CHECK_EQ(refs(s), 3);
  CHECK(backmapped(s, VM_A, GPA));
  CHECK(backmapped(s, VM_B, GPA + PAGE_SIZE));
}

// Disco's page_zero (pmap_zero, which uses pmap_share): a page the VM
// holds is zeroed where it is; a page it gave back gets the zero page.
static void zero_private_in_place(void) {
  CHECK_EQ(pmap_fault(&pa_, GPA), 0);
  uint64_t mine = pmap_lookup(&pa_, GPA);
  memset((void *)mine, 0x77, PAGE_SIZE);
  CHECK_EQ(pmap_zero(&pa_, GPA), 0);
  CHECK_EQ(pmap_lookup(&pa_, GPA), mine);
  CHECK_EQ(*(uint64_t *)(mine + 64), 0);
  CHECK_EQ(pa_.shared, 0);
}

// A shared page gets the zero page in its place, one for both VMs.
static void zero_shared_maps_zero_page(void) {
  uint64_t s1 = cached_block(3, 0x66), s2 = cached_block(4, 0x67);
  CHECK_EQ(pmap_share(&pa_, GPA, s1), 0);
  CHECK_EQ(pmap_share(&pb_, GPA, s2), 0);
  CHECK_EQ(pmap_zero(&pa_, GPA), 0);
  CHECK_EQ(pmap_zero(&pb_, GPA), 0);
  uint64_t z = pmap_lookup(&pa_, GPA);
  CHECK(z != 0 && z != s1);
  CHECK_EQ(pmap_lookup(&pb_, GPA), z);
  CHECK_EQ(memmap_lookup(z)->owner, OWNER_SHARED);
  CHECK(!(leaf(&pa_, GPA) & PMAP_W));
  CHECK_EQ(*(uint64_t *)(z + 128), 0);
  CHECK_EQ(*(uint8_t *)s1, 0x66);               // the block's page untouched
}

// ---- pmap_cow ---------------------------------------------------------------

// A write to a shared page: a private copy, writable, the same bytes.
static void cow_copies(void) {
  uint64_t s = cached_block(7, 0x22);
  CHECK_EQ(pmap_share(&pa_, GPA, s), 0);
  shootdowns = 0;
  CHECK_EQ(pmap_cow(&pa_, GPA), 1);
  uint64_t mine = pmap_lookup(&pa_, GPA);
  CHECK(mine != 0 && mine != s);
  CHECK(memcmp((void *)mine, (void *)s, PAGE_SIZE) == 0);
  uint64_t pte = leaf(&pa_, GPA);
  if ((pte & PMAP_RWX) != PMAP_RWX || (pte >> 10) != (mine >> PAGE_SHIFT))
    FAILF("the leaf PTE %#lx: want the copy %#lx, readable, writable, executable",
          pte, mine);
  CHECK_EQ(memmap_lookup(mine)->owner, VM_A);
  CHECK_EQ(refs(s), 1);                    // the index's alone
  CHECK(!backmapped(s, VM_A, GPA));
  CHECK(backmapped(mine, VM_A, GPA));
  CHECK_EQ(pa_.shared, 0);
  CHECK_EQ(pa_.cow_breaks, 1);
  CHECK_EQ(pa_.mapped[0], 1);
  if (shootdowns == 0)
    FAILF("the read-only mapping may sit in other harts' TLBs: no shootdown");
}

// The other VM keeps the shared page, untouched, when one VM writes.
static void cow_leaves_others(void) {
  uint64_t s = cached_block(9, 0x44);
  memmap_ref(s);
  CHECK_EQ(pmap_share(&pa_, GPA, s), 0);
  CHECK_EQ(pmap_share(&pb_, GPA, s), 0);
  CHECK_EQ(pmap_cow(&pa_, GPA), 1);
  memset((void *)pmap_lookup(&pa_, GPA), 0x99, PAGE_SIZE);   // A writes
  CHECK_EQ(pmap_lookup(&pb_, GPA), s);
  CHECK_EQ(*(uint8_t *)s, 0x44);
  CHECK_EQ(refs(s), 2);
  CHECK_EQ(pb_.shared, 1);
}

// A page no one else holds any more (the cache forgot it) is freed by
// the copy.
static void cow_frees_last_holder(void) {
  uint64_t s = cached_block(10, 0x55);
  CHECK_EQ(pmap_share(&pa_, GPA, s), 0);
  blockcache_forget(10 * BLOCK_SECTORS, BLOCK_SECTORS);   // a write of block 10
  CHECK_EQ(refs(s), 1);
  CHECK_EQ(pmap_cow(&pa_, GPA), 1);
  CHECK_EQ(state(s), PAGE_FREE);
  CHECK_EQ(*(uint8_t *)pmap_lookup(&pa_, GPA), 0x55);
}

// Not a shared page: nothing to do, nothing changed.
static void cow_not_shared(void) {
  CHECK_EQ(pmap_cow(&pa_, GPA), 0);        // no page at all
  CHECK_EQ(pmap_fault(&pa_, GPA), 0);
  uint64_t mine = pmap_lookup(&pa_, GPA);
  CHECK_EQ(pmap_cow(&pa_, GPA), 0);        // a private page
  CHECK_EQ(pmap_lookup(&pa_, GPA), mine);
  CHECK_EQ(pa_.cow_breaks, 0);
}

// ---- Running the cases ----------------------------------------------------

static const struct fork_case cases[] = {
#define CASE(f) {#f, f}
    CASE(share_maps_read_only), CASE(share_into_empty_page), CASE(share_two_vms),
    CASE(zero_private_in_place), CASE(zero_shared_maps_zero_page),
    CASE(cow_copies), CASE(cow_leaves_others), CASE(cow_frees_last_holder),
    CASE(cow_not_shared),
};

int main(int argc, char **argv) {
  return fork_cases_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]), boot_machine);
}
