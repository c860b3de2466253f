// grade/unit/test_lab4.c: lab 4's host tests, for the grader (grade/lab4.py).
//
// pmap_replicate and collapse_locked (hyp/mem/pmap.c) run here on the
// host, on a made-up machine of two nodes whose "machine memory" is two
// ordinary buffers, with the real memmap and back-mappings; lab 2's
// shootdown is a stand-in that counts its calls (shootdown_stand_in.h).
// Each case runs in a child process of its own on a fresh machine, so a
// panic (the handout's collapse_locked stub) fails that case alone:
//
//     ok   replicate_copies
//     FAIL collapse_frees_copies: panic: lab 4: collapse_locked not implemented
//
// hyp/mem/pmap.c is #included, so that the cases can read the G-stage
// tables with its own pmap_walk. Run with no argument for every case, or
// name the cases to run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyp/mem/pmap.c"

#include "grade/unit/shootdown_stand_in.h"

#include "hyp/mem/backmap.h"
#include "tests/unit/host_stubs.h"
#include "tests/unit/fork_cases.h"
#include "tests/unit/unit.h"

// ---- The made-up machine: two nodes ----------------------------------------

#define NODE_PAGES 1024                    // 4 MiB of "machine memory" a node
#define VM_A 5
#define RAM_BASE 0x80000000UL
#define GPA (RAM_BASE + 0x5000)

static struct memmap_entry records[2][NODE_PAGES];
static struct pmap pm_;                    // VM_A's pmap, on node 0
static struct pmap tables[MAX_NODES];      // and its node tables

static void boot_machine(void) {
  uint32_t dist[MAX_NODES][MAX_NODES] = {{10, 20}, {20, 10}};
  memmap_init(2, dist);
  for (int n = 0; n < 2; n++) {
    size_t bytes = (size_t)NODE_PAGES * PAGE_SIZE;
    uint8_t *ram = aligned_alloc(64 * 1024, bytes);
    if (ram == NULL)
      abort();
    memset(ram, 0xa5, bytes);
    memmap_add_range((uint64_t)ram, bytes, n, records[n]);
  }
  memmap_ready();
  if (pmap_init(&pm_, VM_A, 0, RAM_BASE, 1 * MiB) < 0 ||
      pmap_node_tables(&pm_, tables, 2) < 0) {
    printf("test setup: pmap_init or pmap_node_tables failed\n");
    abort();
  }
}

// gpa's leaf PTE in a table (0 if none), read with pmap_walk.
static uint64_t leaf(struct pmap *pm, uint64_t gpa) {
  uint64_t *pte = pmap_walk(pm, gpa, false);
  return pte == NULL ? 0 : *pte;
}

static uint64_t leaf_pa(uint64_t pte) { return (pte >> 10) << PAGE_SHIFT; }

// The VM touches GPA (its page on node 0) and writes `byte` all over it.
static uint64_t touched_page(uint8_t byte) {
  if (pmap_fault(&pm_, GPA) != 0) {
    printf("test setup: pmap_fault failed\n");
    abort();
  }
  uint64_t pa = pmap_lookup(&pm_, GPA);
  memset((void *)pa, byte, PAGE_SIZE);
  return pa;
}

// Free pages of node n.
static uint64_t free_on(int n) { return memmap_stats(n).free; }

// ---- pmap_replicate -----------------------------------------------------------

// A copy on node 1 with the same bytes, owned by no VM; the page
// read-only (R and X kept) in the VM's table after a shootdown; node 1's
// table maps the copy, node 0's the master, both read-only.
static void replicate_copies(void) {
  uint64_t master = touched_page(0x3c);
  shootdowns = 0;
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), 0);
  struct memmap_entry *e = memmap_lookup(master);
  if (e->replicas == NULL)
    FAILF("the master's record lists no copy (memmap_entry.replicas)");
  uint64_t copy = memmap_pa(e->replicas);
  CHECK(copy != master);
  CHECK_EQ(e->replicas->node, 1);
  CHECK_EQ(e->replicas->owner, OWNER_REPLICA);
  CHECK(memcmp((void *)copy, (void *)master, PAGE_SIZE) == 0);
  CHECK_EQ(pmap_lookup(&pm_, GPA), master);           // the VM's page is the master
  uint64_t pte = leaf(&pm_, GPA);
  if (!(pte & PTE_V) || (pte & PMAP_W) || (pte & PMAP_RWX) != (PMAP_R | PMAP_X))
    FAILF("the VM's leaf PTE %#lx: want valid, R and X, not W", pte);
  if (shootdowns == 0)
    FAILF("the page was writable on other harts: no shootdown");
  CHECK_EQ(pm_.replicas, 1);
  // The node tables fill on demand (pmap_node_fault, given).
  CHECK_EQ(pmap_node_fault(&pm_, 1, GPA), 1);
  CHECK_EQ(pmap_node_fault(&pm_, 0, GPA), 1);
  uint64_t n1 = leaf(&tables[1], GPA), n0 = leaf(&tables[0], GPA);
  if (leaf_pa(n1) != copy || (n1 & PMAP_W))
    FAILF("node 1's leaf PTE %#lx: want the copy %#lx, read-only", n1, copy);
  if (leaf_pa(n0) != master || (n0 & PMAP_W))
    FAILF("node 0's leaf PTE %#lx: want the master %#lx, read-only", n0, master);
}

// A node table that mapped the master before the copy was made maps the
// copy after its next fault.
static void replicate_replaces_node_mapping(void) {
  uint64_t master = touched_page(0x11);
  CHECK_EQ(pmap_node_fault(&pm_, 1, GPA), 1);
  CHECK_EQ(leaf_pa(leaf(&tables[1], GPA)), master);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), 0);
  uint64_t copy = memmap_pa(memmap_lookup(master)->replicas);
  uint64_t n1 = leaf(&tables[1], GPA);
  if ((n1 & PTE_V) && leaf_pa(n1) == master && (n1 & PMAP_W))
    FAILF("node 1's table still maps the master writable (%#lx)", n1);
  if (!(n1 & PTE_V) || leaf_pa(n1) != copy)
    CHECK_EQ(pmap_node_fault(&pm_, 1, GPA), 1);
  CHECK_EQ(leaf_pa(leaf(&tables[1], GPA)), copy);
}

// No copy where there is no point or no right: the page is on the node
// already, the node has a copy already, the VM never touched the page.
// Nothing changes, and no page is lost.
static void replicate_refuses(void) {
  uint64_t free0 = free_on(0), free1 = free_on(1);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), -1);         // not touched
  CHECK_EQ(free_on(1), free1);
  touched_page(0x22);
  free0 = free_on(0);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 0), -1);         // on node 0 already
  CHECK_EQ(free_on(0), free0);
  CHECK(leaf(&pm_, GPA) & PMAP_W);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), 0);
  free1 = free_on(1);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), -1);         // node 1 has a copy
  CHECK_EQ(free_on(1), free1);
  CHECK_EQ(pm_.replicas, 1);
}

// ---- collapse (pmap_collapse, your collapse_locked) ------------------------

// A write: the page is writable again in the VM's table, after a
// shootdown the copies are freed, no node table maps a copy.
static void collapse_frees_copies(void) {
  uint64_t master = touched_page(0x5a);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), 0);
  CHECK_EQ(pmap_node_fault(&pm_, 1, GPA), 1);
  uint64_t copy = memmap_pa(memmap_lookup(master)->replicas);
  shootdowns = 0;
  CHECK_EQ(pmap_collapse(&pm_, GPA), 1);
  CHECK(memmap_lookup(master)->replicas == NULL);
  CHECK_EQ(memmap_lookup(copy)->state, PAGE_FREE);
  uint64_t pte = leaf(&pm_, GPA);
  if ((pte & PMAP_RWX) != PMAP_RWX || leaf_pa(pte) != master)
    FAILF("the VM's leaf PTE %#lx: want the master %#lx, R, W and X", pte, master);
  uint64_t n1 = leaf(&tables[1], GPA);
  if ((n1 & PTE_V) && leaf_pa(n1) == copy)
    FAILF("node 1's table still maps the freed copy (%#lx)", n1);
  if (shootdowns == 0)
    FAILF("harts of node 1 may still read the copy: no shootdown");
  CHECK_EQ(pm_.collapses, 1);
  CHECK_EQ(pmap_collapse(&pm_, GPA), 0);              // nothing left to do
  CHECK_EQ(pm_.collapses, 1);
  CHECK_EQ(*(uint8_t *)master, 0x5a);
}

// Any other change of a replicated page collapses it first: here the
// page moves to node 1 (lab 2's move); the copy is gone, the bytes moved.
static void move_collapses_first(void) {
  uint64_t master = touched_page(0x6b);
  CHECK_EQ(pmap_replicate(&pm_, GPA, 1), 0);
  uint64_t copy = memmap_pa(memmap_lookup(master)->replicas);
  CHECK_EQ(pmap_move_page(&pm_, GPA, 1), PMAP_MOVED);
  CHECK_EQ(memmap_lookup(copy)->state, PAGE_FREE);
  uint64_t now = pmap_lookup(&pm_, GPA);
  CHECK_EQ(memmap_lookup(now)->node, 1);
  CHECK(memmap_lookup(now)->replicas == NULL);
  CHECK_EQ(*(uint8_t *)(now + 100), 0x6b);
  CHECK(leaf(&pm_, GPA) & PMAP_W);
}

// ---- Running the cases ----------------------------------------------------

static const struct fork_case cases[] = {
#define CASE(f) {#f, f}
    CASE(replicate_copies), CASE(replicate_replaces_node_mapping), CASE(replicate_refuses),
    CASE(collapse_frees_copies), CASE(move_collapses_first),
};

int main(int argc, char **argv) {
  return fork_cases_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]), boot_machine);
}
