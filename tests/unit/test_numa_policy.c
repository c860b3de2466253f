// tests/unit/test_numa_policy.c: host tests for hyp/mem/numa_policy.c, lab
// 4's policy: which pages move to the node that touched them.
//
// What they prove: a page moves only when it is hot (NUMA_HOT) for the
// node that touched it, no other node has touched it since its last scans,
// it is not on that node already, and it has not moved NUMA_MOVE_LIMIT
// times lately; a hot page other nodes read too gets a copy, if copies are
// allowed and no one wrote it lately; everything else stays. Lab 4's
// grader (grade/lab4.py) runs these cases against the student's policy.
#include <string.h>

#include "hyp/mem/memmap.h"
#include "hyp/mem/numa.h"
#include "tests/unit/unit.h"

// A page on node `on`, with these hints from nodes 0 and 1, and moves.
static struct memmap_entry page(int on, uint8_t h0, uint8_t h1, uint8_t moves) {
  struct memmap_entry e;
  memset(&e, 0, sizeof(e));
  e.node = (uint8_t)on;
  e.hints[0] = h0;
  e.hints[1] = h1;
  e.moves = moves;
  return e;
}

static void numa_hot_page_of_one_node_moves(void) {
  struct memmap_entry e = page(0, 0, NUMA_HOT, 0);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_MIGRATE);
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_MIGRATE);     // copies allowed or not
  e = page(1, 60, 0, 0);                                // and back to node 0
  CHECK_EQ(numa_decide(&e, 0, false), NUMA_MIGRATE);
}

static void numa_cold_page_stays(void) {
  struct memmap_entry e = page(0, 0, NUMA_HOT - 1, 0);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_LEAVE);
}

static void numa_page_on_its_node_stays(void) {
  struct memmap_entry e = page(1, 0, 9, 0);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_LEAVE);
}

static void numa_page_two_nodes_use_stays(void) {
  struct memmap_entry e = page(0, 1, 9, 0);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
}

static void numa_move_limit_holds(void) {
  struct memmap_entry e = page(0, 0, 9, NUMA_MOVE_LIMIT);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
  e.moves = NUMA_MOVE_LIMIT + 3;
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
  e.moves = NUMA_MOVE_LIMIT - 1;
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_MIGRATE);
}

// With copies allowed: read-shared -> a copy; written lately -> none.
static void numa_read_shared_page_replicated(void) {
  struct memmap_entry e = page(0, NUMA_HOT, NUMA_HOT, 0);
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_REPLICATE);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
  CHECK_EQ(numa_decide(&e, 0, true), NUMA_LEAVE);      // node 0 has the page
  e = page(0, 1, NUMA_HOT, 0);                         // node 0's old touch counts
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_REPLICATE);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
}

// Written lately (for hint_write more scans) and used by two nodes: it
// stays; written and used by one node alone: it moves all the same.
static void numa_write_shared_page_stays(void) {
  struct memmap_entry e = page(0, NUMA_HOT, 30, 0);
  e.hint_write = NUMA_WRITE_SCANS;
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_LEAVE);
  CHECK_EQ(numa_decide(&e, 1, false), NUMA_LEAVE);
  e.hint_write = 1;                                    // one scan left
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_LEAVE);
  e = page(0, 0, 30, 0);
  e.hint_write = NUMA_WRITE_SCANS;
  CHECK_EQ(numa_decide(&e, 1, true), NUMA_MIGRATE);
}

int main(void) {
  TEST_RUN(numa_hot_page_of_one_node_moves);
  TEST_RUN(numa_cold_page_stays);
  TEST_RUN(numa_page_on_its_node_stays);
  TEST_RUN(numa_page_two_nodes_use_stays);
  TEST_RUN(numa_move_limit_holds);
  TEST_RUN(numa_read_shared_page_replicated);
  TEST_RUN(numa_write_shared_page_stays);
  return TEST_EXIT();
}
