// hyp/mem/numa.c: hot-page detection by hinting faults, and the policy
// that moves pages to the node that uses them (see hyp/mem/numa.h).
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/mem/numa.h"
#include "hyp/mem/pmap.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"

#define COUNT(field) __atomic_fetch_add(&(field), 1, __ATOMIC_RELAXED)

// Storage for the VMs' per-node tables (pmap_node_tables), by VM id.
static struct pmap node_tables[MAX_VMS][MAX_NODES];

void numa_init(struct pmap *pm, enum numa_policy policy, uint64_t scan_ms,
               uint64_t scan_pages, const char *name) {
  struct numa_state *n = &pm->numa;
  n->on = policy != NUMA_OFF;
  n->replicate = policy == NUMA_POLICY_REPLICATE;
  if (n->replicate && (pm->owner < 1 || pm->owner > MAX_VMS ||
                       pmap_node_tables(pm, node_tables[pm->owner - 1], machine.nnodes) < 0)) {
    printf("vm %s: numa-policy replicate: no memory for its per-node tables: "
           "it migrates pages only\n", name);
    n->replicate = false;
  }
  n->scan_ticks = machine.timebase / 1000 * (scan_ms ? scan_ms : NUMA_SCAN_MS);
  n->scan_pages = scan_pages ? scan_pages : NUMA_SCAN_PAGES;
  n->next_scan = rdtime() + n->scan_ticks;
}

// A page's record as the scan leaves it: old touches count three
// quarters, a write is one scan older, the move count is halved (the
// limit is per two scans of the page).
static void age(struct memmap_entry *e) {
  for (int i = 0; i < MAX_NODES; i++)
    e->hints[i] = (uint8_t)(e->hints[i] * 3 / 4);
  if (e->hint_write > 0)
    e->hint_write--;
  e->moves /= 2;
}

void numa_scan(struct pmap *pm) {
  struct numa_state *n = &pm->numa;
  uint64_t now = rdtime();
  uint64_t due = __atomic_load_n(&n->next_scan, __ATOMIC_RELAXED);
  // Any vCPU may find the scan due; the one that moves next_scan on does
  // it, the others go back to their guests (so the cursor has one writer).
  if (!n->on || now < due ||
      !__atomic_compare_exchange_n(&n->next_scan, &due, now + n->scan_ticks, false,
                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return;
  uint64_t pages = pm->ram_size / PAGE_SIZE;
  for (uint64_t k = 0; k < n->scan_pages && k < pages; k++) {
    uint64_t gpa = pm->ram_base + n->cursor * PAGE_SIZE;
    n->cursor = (n->cursor + 1) % pages;
    uint64_t pa = pmap_revoke(pm, gpa);
    if (pa == 0)
      continue;
    acquire(&pm->lock);
    age(memmap_lookup(pa));
    release(&pm->lock);
    COUNT(n->revoked);
  }
  // No shootdown, nor even a fence: a hart that still caches an entry we
  // revoked just does not report its touches until it drops it (the page
  // behind it did not change).
}

// Note a touch of the page at pa from `node`; returns what to do with it,
// and its record as it is now in *now (for a move to carry over).
static enum numa_action note_touch(struct pmap *pm, uint64_t pa, int node, bool write,
                                   struct memmap_entry *now) {
  struct numa_state *n = &pm->numa;
  acquire(&pm->lock);
  struct memmap_entry *e = memmap_lookup(pa);
  if (e->hints[node] <= 255 - NUMA_HINT_WEIGHT)
    e->hints[node] += NUMA_HINT_WEIGHT;
  if (write && e->hint_write < NUMA_WRITE_SCANS)
    e->hint_write = NUMA_WRITE_SCANS;
  if (e->node != node)
    COUNT(n->remote_hints);
  enum numa_action a = numa_decide(e, node, n->replicate);
  if (a == NUMA_LEAVE && e->node != node && e->hints[node] >= NUMA_HOT &&
      e->moves >= NUMA_MOVE_LIMIT)
    COUNT(n->limited);
  *now = *e;
  release(&pm->lock);
  return a;
}

// A write to a replicated page collapsed it: mark it written, for longer
// than a hinting fault's write does, so that the policy does not copy a
// page the VM keeps writing again and again (each copy costs a shootdown
// and a page copy, each collapse another shootdown).
static void note_written(struct pmap *pm, uint64_t gpa) {
  acquire(&pm->lock);
  uint64_t pa = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (pa != 0)
    memmap_lookup(pa)->hint_write = NUMA_COLLAPSE_SCANS;
  release(&pm->lock);
}

int numa_fault(struct pmap *pm, uint64_t gpa, bool write) {
  struct numa_state *n = &pm->numa;
  if (!n->on)
    return 0;
  gpa = ALIGN_DOWN(gpa, PAGE_SIZE);
  int node = machine.hart_node[hart_id()];
  uint64_t pa = pmap_restore(pm, gpa);
  if (pa == 0) {
    // Not a hinting fault: perhaps a node table's, or a collapse.
    int filled = pmap_node_fault(pm, node, gpa);
    if (filled != 0)
      return filled;
    if (write && pmap_collapse(pm, gpa)) {
      note_written(pm, gpa);
      COUNT(n->collapsed);
      return 1;
    }
    return 0;
  }
  COUNT(n->hints);
  struct memmap_entry was;
  enum numa_action a = note_touch(pm, pa, node, write, &was);
  if (a == NUMA_REPLICATE) {
    if (pmap_replicate(pm, gpa, node) == 0)
      COUNT(n->replicated);
    else
      COUNT(n->not_moved);
    return 1;
  }
  if (a != NUMA_MIGRATE)
    return 1;
  // The page may have changed since we looked (another vCPU moved it, or
  // the VM gave it back): pmap_move_page moves whatever backs gpa now.
  if (pmap_move_page(pm, gpa, node) != PMAP_MOVED) {
    COUNT(n->not_moved);
    return 1;
  }
  acquire(&pm->lock);
  uint64_t to = pm->map[(gpa - pm->ram_base) / PAGE_SIZE];
  if (to != 0) {
    struct memmap_entry *e = memmap_lookup(to);
    for (int i = 0; i < MAX_NODES; i++)
      e->hints[i] = was.hints[i];    // its history goes with it
    e->moves = (uint8_t)(was.moves + 1);
  }
  release(&pm->lock);
  if (to != 0)
    COUNT(n->migrated);
  else
    COUNT(n->not_moved);            // the VM gave the page back meanwhile
  return 1;
}

void numa_print_counters(struct pmap *pm, const char *name) {
  struct numa_state *n = &pm->numa;
  if (!n->on)
    return;
  printf("counters %s: numa policy=%s revoked=%lu hints=%lu remote-hints=%lu "
         "migrated=%lu limited=%lu not-moved=%lu replicated=%lu collapsed=%lu "
         "vcpu-moves=%lu\n", name,
         n->replicate ? "replicate" : "migrate", n->revoked, n->hints, n->remote_hints,
         n->migrated, n->limited, n->not_moved, n->replicated, n->collapsed, n->vcpu_moves);
}

void numa_print_report(struct pmap *pm, const char *name, uint64_t t_ms) {
  struct numa_state *n = &pm->numa;
  if (!n->on)
    return;
  // Read without the locks, as the rest of the memory report: each count
  // was right at some moment.
  char nodes[32 * MAX_NODES] = "";
  int k = 0;
  for (int i = 0; i < machine.nnodes; i++)
    k += snprintf(nodes + k, sizeof(nodes) - (uint64_t)k, " node%d=%lu", i,
                  __atomic_load_n(&pm->mapped[i], __ATOMIC_RELAXED));
  printf("numa-report: t-ms=%lu vm=%s revoked=%lu hints=%lu remote-hints=%lu migrated=%lu "
         "replicated=%lu collapsed=%lu%s vcpu-moves=%lu\n", t_ms, name,
         __atomic_load_n(&n->revoked, __ATOMIC_RELAXED),
         __atomic_load_n(&n->hints, __ATOMIC_RELAXED),
         __atomic_load_n(&n->remote_hints, __ATOMIC_RELAXED),
         __atomic_load_n(&n->migrated, __ATOMIC_RELAXED),
         __atomic_load_n(&n->replicated, __ATOMIC_RELAXED),
         __atomic_load_n(&n->collapsed, __ATOMIC_RELAXED), nodes,
         __atomic_load_n(&n->vcpu_moves, __ATOMIC_RELAXED));
}
