// hyp/mem/numa_policy.c: lab 4's policy, what to do with a page just
// touched (see hyp/mem/numa.h). Alone in its file, with nothing but the
// page's memmap record to go on, so that it can be tested on the host
// (tests/unit/test_numa_policy.c).
#include "hyp/mem/memmap.h"
#include "hyp/mem/numa.h"

// Disco 4.2.3: a page that is hot (touched often, recently) and used by
// one node alone moves to that node; a page used by several nodes stays
// where it is (Disco copied the read-shared ones to each node that reads
// them; we do not, yet); no page moves more than NUMA_MOVE_LIMIT times
// between two scans of it.
enum numa_action numa_decide(const struct memmap_entry *e, int node) {
  // BEGIN LAB 4: move a hot page used by one node alone to that node
  if (e->node == node || e->hints[node] < NUMA_HOT || e->moves >= NUMA_MOVE_LIMIT)
    return NUMA_LEAVE;
  for (int i = 0; i < MAX_NODES; i++)
    if (i != node && e->hints[i] != 0)
      return NUMA_LEAVE;            // other nodes use it too
  return NUMA_MIGRATE;
  // END LAB 4
  // STUB LAB 4: return NUMA_LEAVE;   // lab 4: numa_decide not implemented
}

