// hyp/mem/numa_policy.c: lab 4's policy, what to do with a page just
// touched (see hyp/mem/numa.h). Alone in its file, with nothing but the
// page's memmap record to go on, so that it can be tested on the host
// (tests/unit/test_numa_policy.c).
#include "hyp/mem/memmap.h"
#include "hyp/mem/numa.h"

// Disco 4.2.3: a page that is hot for a node (touched often, recently)
// and used by that node alone moves there, at most NUMA_MOVE_LIMIT times
// between two scans of it; a hot page that several nodes read, and none
// wrote lately, gets a copy on the node (if copies are allowed); a page
// several nodes use and one writes stays where it is.
enum numa_action numa_decide(const struct memmap_entry *e, int node, bool replicate) {
  // BEGIN LAB 4: migrate, replicate or leave the page
  if (e->hints[node] < NUMA_HOT)
    return NUMA_LEAVE;              // not hot for this node
  bool others = false;
  for (int i = 0; i < MAX_NODES; i++)
    if (i != node && e->hints[i] != 0)
      others = true;
  if (!others)
    return e->node != node && e->moves < NUMA_MOVE_LIMIT ? NUMA_MIGRATE : NUMA_LEAVE;
  if (replicate && !e->hint_write && e->node != node)
    return NUMA_REPLICATE;          // read-shared
  return NUMA_LEAVE;                // write-shared, or local already
  // END LAB 4
  // STUB LAB 4: return NUMA_LEAVE;   // lab 4: numa_decide not implemented
}
