// grade/unit/test_lab1.c: lab 1's host tests, for the grader (grade/lab1.py).
//
// Lab 1's functions run here on the host, on a made-up machine of two
// NUMA nodes whose "machine memory" is an ordinary buffer, so each rule of
// their contracts can be checked on its own and a failure names the rule:
// which PTE bit is missing, which counter is off, which page leaked. The
// QEMU tests of the grader then check that the same code runs real guests.
//
// hyp/mem/pmap.c is #included, not linked, so that its static functions
// (pmap_walk, pmap_enter_locked) can be called directly. Every case runs in
// a child process of its own, on a fresh machine, so a crash or a panic in
// one case (say, the handout's stub) fails that case alone:
//
//     ok   walk_alloc
//     FAIL fault_fills_page: panic: lab 1: pmap_fault not implemented
//
// Run with no argument for every case, or name the cases to run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// hyp/mem/pmap.c's calls to memmap_alloc go to a test double, which can play
// another vCPU that fills the page pmap_fault is about to fill (see
// fault_race_lost below); everywhere else it is memmap_alloc itself.
#include "hyp/mem/memmap.h"
static uint64_t memmap_alloc_racing(int node, uint16_t owner);
#define memmap_alloc memmap_alloc_racing
#include "hyp/mem/pmap.c"
#undef memmap_alloc

// Lab 2's TLB code is not under test here: a pmap only tells it about
// itself (tlb_space_init) and about changed mappings (tlb_shootdown,
// which lab 1's functions never call).
void tlb_space_init(struct tlb_space *t) { memset(t, 0, sizeof(*t)); }
void tlb_shootdown(struct pmap *pm, uint64_t gpa) {}

#include "hyp/mem/backmap.h"
#include "tests/unit/host_stubs.h"
#include "tests/unit/fork_cases.h"
#include "tests/unit/unit.h"

// ---- The made-up machine ------------------------------------------------

#define NODE_PAGES 2048                    // 8 MiB of "machine memory" a node
#define NNODES 2
#define VM 5                               // the pmap's owner
#define RAM_BASE 0x80000000UL

static uint8_t *machine;                   // NNODES * NODE_PAGES pages
static struct memmap_entry records[NNODES][NODE_PAGES];

// Fences the code under test asked for (kernel/riscv.h stand-ins).
static int fences;                         // hfence_gvma(gpa) calls
static int fences_all;                     // hfence_gvma_all() calls
static uint64_t last_fence;                // gpa of the last hfence_gvma

void hfence_gvma(uint64_t gpa) {
  fences++;
  last_fence = gpa;
}
void hfence_gvma_all(void) { fences_all++; }
void hfence_vvma_all(void) {}

static void boot_machine(void) {
  size_t bytes = (size_t)NNODES * NODE_PAGES * PAGE_SIZE;
  machine = aligned_alloc(64 * 1024, bytes);
  if (machine == NULL)
    abort();
  // Garbage everywhere, so that a page handed out without zeroing shows.
  memset(machine, 0xa5, bytes);
  uint32_t dist[MAX_NODES][MAX_NODES];
  for (int a = 0; a < MAX_NODES; a++)
    for (int b = 0; b < MAX_NODES; b++)
      dist[a][b] = a == b ? 10 : 20;
  memmap_init(NNODES, dist);
  for (int n = 0; n < NNODES; n++)
    memmap_add_range((uint64_t)machine + (uint64_t)n * NODE_PAGES * PAGE_SIZE,
                     NODE_PAGES * PAGE_SIZE, n, records[n]);
  memmap_ready();
}

static uint64_t free_pages(void) {
  uint64_t n = 0;
  for (int i = 0; i < NNODES; i++)
    n += memmap_stats(i).free;
  return n;
}

// Is this owner the monitor itself? Its own pages, and the pages it
// carves back-mapping records from (OWNER_BACKMAP, hyp/mem/backmap.c).
static bool is_monitor(uint16_t owner) {
  return owner == OWNER_MONITOR || owner == OWNER_BACKMAP;
}

// Pages in use by the monitor: in this test, only back-mapping records.
static uint64_t monitor_pages(void) {
  uint64_t n = 0;
  for (int node = 0; node < NNODES; node++)
    for (int i = 0; i < NODE_PAGES; i++)
      n += records[node][i].state == PAGE_USED && is_monitor(records[node][i].owner);
  return n;
}

// Pages in use by anyone but the monitor.
static uint64_t other_pages(void) {
  uint64_t n = 0;
  for (int node = 0; node < NNODES; node++)
    for (int i = 0; i < NODE_PAGES; i++)
      n += records[node][i].state == PAGE_USED && !is_monitor(records[node][i].owner);
  return n;
}

// Take every free page (they come back with give_back), for a test owner.
#define HOARDER 0x7777
static uint64_t hoard[NNODES * NODE_PAGES];
static int nhoard;

static void exhaust_memory(void) {
  uint64_t pa;
  while ((pa = memmap_alloc(0, HOARDER)) != 0)
    hoard[nhoard++] = pa;
}

static void give_back(int n) {
  while (n-- > 0 && nhoard > 0)
    memmap_free(hoard[--nhoard]);
}

// ---- Reading a G-stage table without the code under test ----------------

#define T_V (1UL << 0)
#define T_R (1UL << 1)
#define T_W (1UL << 2)
#define T_X (1UL << 3)
#define T_U (1UL << 4)
#define T_A (1UL << 6)
#define T_D (1UL << 7)

static uint64_t *table_at(uint64_t pte) {
  return (uint64_t *)((pte >> 10) << PAGE_SHIFT);
}

static uint64_t index_at(uint64_t gpa, int level) {
  uint64_t mask = level == 2 ? 2047 : 511;        // Sv39x4: 11-bit root index
  return (gpa >> (PAGE_SHIFT + 9 * level)) & mask;
}

static char why[300];

// The table that entry index_at(gpa, level) of `table` points to; NULL,
// with the reason in why[], when that entry is not a valid pointer to a
// table the memmap handed out.
static uint64_t *next_table(uint64_t *table, uint64_t gpa, int level) {
  uint64_t e = table[index_at(gpa, level)];
  if ((e & T_V) == 0) {
    snprintf(why, sizeof(why), "gpa %#lx: no valid entry at level %d "
             "(index %lu)", gpa, level, index_at(gpa, level));
    return NULL;
  }
  if ((e & (T_R | T_W | T_X)) != 0) {
    snprintf(why, sizeof(why), "gpa %#lx: the level-%d entry %#lx has "
             "R/W/X set, so it is a leaf (a huge page), not a pointer to "
             "the next table", gpa, level, e);
    return NULL;
  }
  if ((e & (T_U | T_A | T_D)) != 0) {
    snprintf(why, sizeof(why), "gpa %#lx: the level-%d entry %#lx points "
             "to a table but has U, A or D set: the spec says those must "
             "be 0 in a non-leaf entry", gpa, level, e);
    return NULL;
  }
  uint64_t *next = table_at(e);
  struct memmap_entry *rec = memmap_lookup((uint64_t)next);
  if (rec == NULL || rec->state != PAGE_USED) {
    snprintf(why, sizeof(why), "gpa %#lx: the level-%d entry points to %p, "
             "which is not a page the memmap handed out", gpa, level,
             (void *)next);
    return NULL;
  }
  return next;
}

// The level-0 PTE for gpa, found by reading pm's table by hand; NULL with
// the reason in why[] when a level is missing or malformed.
static uint64_t *find_pte(struct pmap *pm, uint64_t gpa) {
  uint64_t *l1 = next_table((uint64_t *)pm->root, gpa, 2);
  uint64_t *l0 = l1 == NULL ? NULL : next_table(l1, gpa, 1);
  return l0 == NULL ? NULL : &l0[index_at(gpa, 0)];
}

// NULL if pte is a good leaf for pa with permissions perm, else why not.
static const char *leaf_problem(uint64_t pte, uint64_t pa, uint64_t perm) {
  if (!(pte & T_V))
    return "the leaf PTE is not valid (V=0)";
  if ((pte >> 10) != (pa >> PAGE_SHIFT)) {
    snprintf(why, sizeof(why), "the leaf's PPN is %#lx, want %#lx (the page "
             "number of machine page %#lx, i.e. pa >> 12, placed at bit 10)",
             pte >> 10, pa >> PAGE_SHIFT, pa);
    return why;
  }
  if ((pte & (T_R | T_W | T_X)) != (perm & PMAP_RWX)) {
    snprintf(why, sizeof(why), "the leaf has R/W/X = %lu%lu%lu, want %lu%lu%lu",
             (pte >> 1) & 1, (pte >> 2) & 1, (pte >> 3) & 1, (perm >> 1) & 1,
             (perm >> 2) & 1, (perm >> 3) & 1);
    return why;
  }
  if (!(pte & T_U))
    return "the leaf has U=0: the G stage treats every guest access as a "
           "user access, so a G-stage leaf needs U=1 (privileged spec 8.5.1)";
  if (!(pte & T_A))
    return "the leaf has A=0: QEMU raises a guest-page fault instead of "
           "setting A, so the guest would fault on this page forever";
  if ((perm & PMAP_W) && !(pte & T_D))
    return "a writable leaf has D=0: QEMU raises a guest-page fault instead "
           "of setting D, so every store to the page would fault forever";
  return NULL;
}

static bool is_zero_page(uint64_t pa) {
  const uint8_t *p = (const uint8_t *)pa;
  for (uint64_t i = 0; i < PAGE_SIZE; i++)
    if (p[i] != 0)
      return false;
  return true;
}

// Does machine page pa have the back-mapping (vm, gpa)?
static bool has_backmap(uint64_t pa, uint16_t vm, uint64_t gpa) {
  struct memmap_entry *e = memmap_lookup(pa);
  for (struct backmap *b = e->backmaps; b != NULL; b = b->next)
    if (b->vm == vm && b->gpa == gpa)
      return true;
  return false;
}

static struct pmap pm;

static void new_pmap(int node, uint64_t ram_size) {
  if (pmap_init(&pm, VM, node, RAM_BASE, ram_size) < 0) {
    printf("test setup: pmap_init failed\n");
    abort();
  }
}

// ---- Another vCPU, on cue -------------------------------------------------

// When armed, the first page that the code under test takes with
// memmap_alloc while pm.lock is free is the moment another vCPU of the VM,
// on another hart, faults on race.gpa too and fills it first: it takes a
// page of its own and enters it under the lock, as its pmap_fault would.
// (Taken with the lock held, no other vCPU could get in: no race then.)
static struct {
  bool armed;
  bool fired;
  uint64_t gpa;                  // the page both vCPUs fault on
  uint64_t mine;                 // the page the code under test took
  uint64_t theirs;               // the page the other vCPU filled gpa with
} race;

static uint64_t memmap_alloc_racing(int node, uint16_t owner) {
  uint64_t pa = memmap_alloc(node, owner);
  if (!race.armed || pa == 0 || holding(&pm.lock))
    return pa;
  race.armed = false;
  race.mine = pa;
  uint64_t theirs = memmap_alloc(node, owner);
  if (theirs == 0)
    return pa;                   // no memory for the other vCPU: no race
  memset((void *)theirs, 0, PAGE_SIZE);
  acquire(&pm.lock);
  int r = pmap_enter_locked(&pm, race.gpa, theirs, PMAP_RWX);
  if (r == 0)
    pm.faults++;
  release(&pm.lock);
  if (r != 0) {
    memmap_free(theirs);
    return pa;
  }
  race.fired = true;
  race.theirs = theirs;
  return pa;
}

// ---- Back-mappings (hyp/mem/backmap.c) ------------------------------------

// Three mappings of one page: all recorded, counted, none on another page.
static void backmap_add_and_count(void) {
  uint64_t pa = memmap_alloc(0, VM), other = memmap_alloc(0, VM);
  struct memmap_entry *e = memmap_lookup(pa);
  CHECK_EQ(memmap_backmap_add(e, 1, 0x80001000), 0);
  CHECK_EQ(memmap_backmap_add(e, 2, 0x80002000), 0);
  CHECK_EQ(memmap_backmap_add(e, 1, 0x80003000), 0);
  CHECK_EQ(memmap_backmap_count(e), 3);
  if (!has_backmap(pa, 1, 0x80001000) || !has_backmap(pa, 2, 0x80002000) ||
      !has_backmap(pa, 1, 0x80003000))
    FAILF("e->backmaps does not hold all three (vm, gpa) pairs added");
  CHECK_EQ(memmap_backmap_count(memmap_lookup(other)), 0);
}

// Removing: the right record goes, a missing one is -1, the list empties.
static void backmap_remove(void) {
  uint64_t pa = memmap_alloc(1, VM);
  struct memmap_entry *e = memmap_lookup(pa);
  CHECK_EQ(memmap_backmap_add(e, 1, 0x80001000), 0);
  CHECK_EQ(memmap_backmap_add(e, 2, 0x80002000), 0);
  CHECK_EQ(memmap_backmap_add(e, 1, 0x80003000), 0);
  CHECK_EQ(memmap_backmap_remove(e, 2, 0x80002000), 0);
  CHECK_EQ(memmap_backmap_count(e), 2);
  if (has_backmap(pa, 2, 0x80002000))
    FAILF("(vm 2, 0x80002000) is still on e->backmaps after its removal");
  if (!has_backmap(pa, 1, 0x80001000) || !has_backmap(pa, 1, 0x80003000))
    FAILF("removing (vm 2, 0x80002000) also removed another mapping");
  CHECK_EQ(memmap_backmap_remove(e, 2, 0x80002000), -1);   // gone already
  CHECK_EQ(memmap_backmap_remove(e, 2, 0x80001000), -1);   // wrong VM
  CHECK_EQ(memmap_backmap_remove(e, 1, 0x80005000), -1);   // wrong gpa
  CHECK_EQ(memmap_backmap_remove(e, 1, 0x80003000), 0);
  CHECK_EQ(memmap_backmap_remove(e, 1, 0x80001000), 0);
  CHECK_EQ(memmap_backmap_count(e), 0);
  CHECK(e->backmaps == NULL);
}

// Records come from machine pages, a page at a time; removed records are
// used again, so adding as many again takes no new page.
static void backmap_records_reused(void) {
  enum { PAGES = 10, EACH = 100 };
  uint64_t pa[PAGES];
  for (int i = 0; i < PAGES; i++)
    pa[i] = memmap_alloc(0, VM);
  for (int round = 0; round < 2; round++) {
    uint64_t before = free_pages();
    for (int i = 0; i < PAGES; i++)
      for (int j = 0; j < EACH; j++)
        if (memmap_backmap_add(memmap_lookup(pa[i]), VM,
                               RAM_BASE + (uint64_t)j * PAGE_SIZE) != 0)
          FAILF("round %d: memmap_backmap_add failed with plenty of memory",
                round);
    for (int i = 0; i < PAGES; i++)
      CHECK_EQ(memmap_backmap_count(memmap_lookup(pa[i])), EACH);
    if (round == 1 && free_pages() != before)
      FAILF("the second %d records took %lu more machine pages: removed "
            "records must go back on free_records and be used again",
            PAGES * EACH, before - free_pages());
    for (int i = 0; i < PAGES; i++)
      for (int j = 0; j < EACH; j++)
        if (memmap_backmap_remove(memmap_lookup(pa[i]), VM,
                                  RAM_BASE + (uint64_t)j * PAGE_SIZE) != 0)
          FAILF("round %d: could not remove a mapping just added", round);
    for (int i = 0; i < PAGES; i++)
      CHECK_EQ(memmap_backmap_count(memmap_lookup(pa[i])), 0);
  }
}

// With no free record and no free page, adding fails with -1 and changes
// nothing.
static void backmap_out_of_memory(void) {
  uint64_t pa = memmap_alloc(0, VM);
  struct memmap_entry *e = memmap_lookup(pa);
  exhaust_memory();
  CHECK_EQ(memmap_backmap_add(e, VM, RAM_BASE), -1);
  CHECK_EQ(memmap_backmap_count(e), 0);
  give_back(1);
  CHECK_EQ(memmap_backmap_add(e, VM, RAM_BASE), 0);
  CHECK_EQ(memmap_backmap_count(e), 1);
}

// ---- pmap_walk ----------------------------------------------------------

// Without alloc, a walk through missing tables finds nothing and
// allocates nothing.
static void walk_no_alloc(void) {
  new_pmap(0, 16 * MiB);
  uint64_t before = free_pages();
  acquire(&pm.lock);
  uint64_t *pte = pmap_walk(&pm, RAM_BASE, false);
  release(&pm.lock);
  if (pte != NULL)
    FAILF("pmap_walk(alloc=false) returned %p for a gpa with no tables; "
          "want NULL", (void *)pte);
  CHECK_EQ(free_pages(), before);
  CHECK_EQ(pm.table_pages, ROOT_PAGES);
}

// With alloc: two new zeroed tables on the pmap's node, counted; the PTE
// returned is the right slot of the level-0 table; walking again allocates
// nothing and lands on the same slot.
static void walk_alloc(void) {
  new_pmap(1, 16 * MiB);
  uint64_t gpa = RAM_BASE + 0x345000;
  uint64_t before = free_pages();
  acquire(&pm.lock);
  uint64_t *pte = pmap_walk(&pm, gpa, true);
  release(&pm.lock);
  if (pte == NULL)
    FAILF("pmap_walk(alloc=true) returned NULL with plenty of memory");
  uint64_t *mine = find_pte(&pm, gpa);
  if (mine == NULL)
    FAILF("after pmap_walk(%#lx, alloc=true): %s", gpa, why);
  if (pte != mine)
    FAILF("pmap_walk returned %p, but gpa %#lx's level-0 slot is %p (index "
          "%lu of the level-0 table)", (void *)pte, gpa, (void *)mine,
          index_at(gpa, 0));
  CHECK_EQ(*pte, 0);
  CHECK_EQ(before - free_pages(), 2);
  CHECK_EQ(pm.table_pages, ROOT_PAGES + 2);
  // The new tables: on the pmap's node, zero but for the one entry.
  uint64_t *root = (uint64_t *)pm.root;
  uint64_t *l1 = table_at(root[index_at(gpa, 2)]);
  uint64_t *l0 = table_at(l1[index_at(gpa, 1)]);
  if (memmap_lookup((uint64_t)l1)->node != 1 || memmap_lookup((uint64_t)l0)->node != 1)
    FAILF("the new tables are not on the pmap's node (pm->node = 1)");
  for (int i = 0; i < 512; i++) {
    if (i != (int)index_at(gpa, 1) && l1[i] != 0)
      FAILF("level-1 table entry %d is %#lx: a new table must be zeroed", i, l1[i]);
    if (l0[i] != 0)
      FAILF("level-0 table entry %d is %#lx: a new table must be zeroed", i, l0[i]);
  }
  acquire(&pm.lock);
  uint64_t *again = pmap_walk(&pm, gpa, true);
  uint64_t *again_noalloc = pmap_walk(&pm, gpa, false);
  uint64_t *next = pmap_walk(&pm, gpa + PAGE_SIZE, false);
  release(&pm.lock);
  if (again != pte || again_noalloc != pte)
    FAILF("walking to the same gpa again gave %p / %p, want %p",
          (void *)again, (void *)again_noalloc, (void *)pte);
  if (next != pte + 1)
    FAILF("the next page's PTE is at %p, want the next slot %p",
          (void *)next, (void *)(pte + 1));
  CHECK_EQ(pm.table_pages, ROOT_PAGES + 2);
}

// Tables are shared by neighbours and added only where needed; the root
// of Sv39x4 has 2048 entries, so gpa bits 40..30 all index it.
static void walk_shares_tables(void) {
  new_pmap(0, 16 * MiB);
  struct { uint64_t gpa; uint64_t tables; } steps[] = {
      {RAM_BASE, ROOT_PAGES + 2},                  // a level-1 and a level-0
      {RAM_BASE + 0x1ff000, ROOT_PAGES + 2},       // same 2 MiB: none new
      {RAM_BASE + 0x200000, ROOT_PAGES + 3},       // next 2 MiB: a level-0
      {RAM_BASE + (1UL << 30), ROOT_PAGES + 5},    // next 1 GiB: both
      {1UL << 40, ROOT_PAGES + 7},                 // root index 1024
  };
  for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    acquire(&pm.lock);
    uint64_t *pte = pmap_walk(&pm, steps[i].gpa, true);
    release(&pm.lock);
    if (pte == NULL)
      FAILF("pmap_walk(%#lx, alloc=true) returned NULL", steps[i].gpa);
    uint64_t *mine = find_pte(&pm, steps[i].gpa);
    if (mine == NULL)
      FAILF("after pmap_walk(%#lx): %s", steps[i].gpa, why);
    if (mine != pte)
      FAILF("pmap_walk(%#lx) returned the wrong slot", steps[i].gpa);
    if (pm.table_pages != steps[i].tables)
      FAILF("after walking to %#lx, pm->table_pages is %lu, want %lu",
            steps[i].gpa, pm.table_pages, steps[i].tables);
  }
  uint64_t *root = (uint64_t *)pm.root;
  if (!(root[1024] & T_V) || (root[0] & T_V))
    FAILF("gpa 1<<40 must use root entry 1024 (Sv39x4's root index is 11 "
          "bits: gpa[40:30]); root[0]=%#lx root[1024]=%#lx", root[0], root[1024]);
}

// Out of memory: NULL, and no page lost (a table added on the way stays
// in the table, counted).
static void walk_out_of_memory(void) {
  new_pmap(0, 16 * MiB);
  exhaust_memory();
  uint64_t budget = pm.table_pages + free_pages();
  acquire(&pm.lock);
  uint64_t *pte = pmap_walk(&pm, RAM_BASE, true);
  release(&pm.lock);
  if (pte != NULL)
    FAILF("pmap_walk returned a PTE with no memory left for its tables");
  give_back(1);
  budget++;
  acquire(&pm.lock);
  pte = pmap_walk(&pm, RAM_BASE, true);
  release(&pm.lock);
  if (pte != NULL)
    FAILF("pmap_walk returned a PTE with memory for only one of two tables");
  if (pm.table_pages + free_pages() != budget)
    FAILF("a page went missing: table_pages + free pages = %lu, want %lu",
          pm.table_pages + free_pages(), budget);
  give_back(1);
  acquire(&pm.lock);
  pte = pmap_walk(&pm, RAM_BASE, true);
  release(&pm.lock);
  if (pte == NULL)
    FAILF("pmap_walk failed once the second table's page was free");
}

// ---- pmap_enter ---------------------------------------------------------

// A page entered with some permissions: the leaf says exactly that, the
// map and the counters know, the back-mapping is recorded, a fence is
// asked for.
static void enter_maps_page(void) {
  new_pmap(0, 16 * MiB);
  uint64_t pa = memmap_alloc(1, VM);              // on the other node
  uint64_t gpa = RAM_BASE + 0x7000;
  fences = fences_all = 0;
  CHECK_EQ(pmap_enter(&pm, gpa + 0x123, pa, PMAP_R), 0);
  uint64_t *pte = find_pte(&pm, gpa);
  if (pte == NULL)
    FAILF("after pmap_enter: %s", why);
  const char *bad = leaf_problem(*pte, pa, PMAP_R);
  if (bad)
    FAILF("pmap_enter(%#lx, PMAP_R): %s", gpa, bad);
  CHECK_EQ(pm.map[(gpa - RAM_BASE) / PAGE_SIZE], pa);
  CHECK_EQ(pmap_lookup(&pm, gpa + 0x123), pa + 0x123);
  CHECK_EQ(pm.mapped[1], 1);
  CHECK_EQ(pm.mapped[0], 0);
  CHECK_EQ(pm.faults, 0);                         // pmap_enter is no fault
  if (!has_backmap(pa, VM, gpa))
    FAILF("no back-mapping (vm %d, gpa %#lx) on the machine page", VM, gpa);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(pa)), 1);
  if (fences + fences_all == 0)
    FAILF("pmap_enter did not fence (hfence_gvma)");

  uint64_t pa2 = memmap_alloc(0, VM);
  CHECK_EQ(pmap_enter(&pm, gpa + PAGE_SIZE, pa2, PMAP_RWX), 0);
  pte = find_pte(&pm, gpa + PAGE_SIZE);
  if (pte == NULL)
    FAILF("after the second pmap_enter: %s", why);
  bad = leaf_problem(*pte, pa2, PMAP_RWX);
  if (bad)
    FAILF("pmap_enter(%#lx, PMAP_RWX): %s", gpa + PAGE_SIZE, bad);
  CHECK_EQ(pm.mapped[0], 1);
}

// One machine page in two VMs' pmaps (as copy-on-write disks will do):
// two back-mappings, one for each.
static void enter_shared_page(void) {
  new_pmap(0, 16 * MiB);
  struct pmap other;
  if (pmap_init(&other, VM + 1, 1, RAM_BASE, 16 * MiB) < 0)
    FAILF("test setup: pmap_init failed");
  uint64_t pa = memmap_alloc(0, VM);
  CHECK_EQ(pmap_enter(&pm, RAM_BASE + 0x10000, pa, PMAP_R | PMAP_X), 0);
  CHECK_EQ(pmap_enter(&other, RAM_BASE + 0x20000, pa, PMAP_R), 0);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(pa)), 2);
  if (!has_backmap(pa, VM, RAM_BASE + 0x10000) ||
      !has_backmap(pa, VM + 1, RAM_BASE + 0x20000))
    FAILF("the page's back-mappings are not (vm %d, %#lx) and (vm %d, %#lx)",
          VM, RAM_BASE + 0x10000, VM + 1, RAM_BASE + 0x20000);
}

// When the walk or the back-mapping fails, pmap_enter returns -1 and
// leaves no trace: no back-mapping (a stray record would name a page the
// VM does not map, and lab 2's shootdowns would follow it), no map entry,
// no valid leaf, no count.
static void enter_fails_cleanly(void) {
  new_pmap(0, 16 * MiB);
  uint64_t pa = memmap_alloc(1, VM);
  uint64_t no_table = RAM_BASE + 0x400000;      // its level-0 table is missing
  uint64_t has_table = RAM_BASE + 0x3000;       // its tables are there
  acquire(&pm.lock);
  uint64_t *slot = pmap_walk(&pm, has_table, true);
  release(&pm.lock);
  if (slot == NULL)
    FAILF("test setup: pmap_walk(%#lx, alloc=true) failed", has_table);
  // Free back-mapping records but no free page: the walk fails, a record
  // could still be had.
  uint64_t dummy = memmap_alloc(0, VM);
  struct memmap_entry *d = memmap_lookup(dummy);
  CHECK_EQ(memmap_backmap_add(d, VM, RAM_BASE), 0);
  CHECK_EQ(memmap_backmap_remove(d, VM, RAM_BASE), 0);
  exhaust_memory();
  int r = pmap_enter(&pm, no_table, pa, PMAP_RWX);
  if (r != -1)
    FAILF("pmap_enter(%#lx) returned %d with no page left for its level-0 "
          "table; want -1", no_table, r);
  if (memmap_backmap_count(memmap_lookup(pa)) != 0)
    FAILF("the walk failed, but a back-mapping (vm %d, gpa %#lx) was left "
          "on the machine page: record it only once the walk has found the "
          "PTE, or take it out again", VM, no_table);
  CHECK_EQ(pm.map[(no_table - RAM_BASE) / PAGE_SIZE], 0);
  CHECK_EQ(pm.mapped[1], 0);

  // No free record and no free page: the walk succeeds, the back-mapping
  // cannot be recorded.
  int taken = 0;
  while (memmap_backmap_add(d, VM, RAM_BASE + (uint64_t)taken * PAGE_SIZE) == 0)
    taken++;
  r = pmap_enter(&pm, has_table, pa, PMAP_RWX);
  if (r != -1)
    FAILF("pmap_enter(%#lx) returned %d with no memory for the back-mapping "
          "record; want -1", has_table, r);
  if (*slot & T_V)
    FAILF("pmap_enter returned -1 but left a valid leaf %#lx for gpa %#lx: "
          "the guest could use a page the pmap does not hold", *slot, has_table);
  CHECK_EQ(pm.map[(has_table - RAM_BASE) / PAGE_SIZE], 0);
  CHECK_EQ(pm.mapped[1], 0);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(pa)), 0);

  // With memory back, the same enters work and leave one record each.
  for (int i = 0; i < taken; i++)
    memmap_backmap_remove(d, VM, RAM_BASE + (uint64_t)i * PAGE_SIZE);
  give_back(nhoard);
  CHECK_EQ(pmap_enter(&pm, no_table, pa, PMAP_RWX), 0);
  CHECK_EQ(pmap_enter(&pm, has_table, pa, PMAP_RWX), 0);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(pa)), 2);
  CHECK_EQ(pm.mapped[1], 2);
}

// ---- pmap_fault ---------------------------------------------------------

// The first touch of a page: a zeroed machine page on the pmap's node,
// mapped with every permission, counted, back-mapped, fenced.
static void fault_fills_page(void) {
  new_pmap(1, 16 * MiB);
  uint64_t gpa = RAM_BASE + 0x42000;
  fences = fences_all = 0;
  uint64_t before = other_pages();
  CHECK_EQ(pmap_fault(&pm, gpa + 0x10), 0);
  uint64_t pa = pmap_lookup(&pm, gpa);
  if (pa == 0)
    FAILF("after pmap_fault(%#lx), pmap_lookup finds no machine page "
          "(pm->map not set?)", gpa + 0x10);
  struct memmap_entry *e = memmap_lookup(pa);
  if (e == NULL || e->state != PAGE_USED)
    FAILF("the page behind gpa %#lx (%#lx) is not an allocated machine page",
          gpa, pa);
  if (e->node != 1)
    FAILF("the guest page is on node %d; the pmap's node (pm->node) is 1",
          e->node);
  if (e->owner != VM)
    FAILF("the guest page belongs to owner %d, want the VM (%d)", e->owner, VM);
  if (!is_zero_page(pa))
    FAILF("the new guest page is not zeroed: the guest would see the "
          "previous user's data");
  uint64_t *pte = find_pte(&pm, gpa);
  if (pte == NULL)
    FAILF("after pmap_fault: %s", why);
  const char *bad = leaf_problem(*pte, pa, PMAP_RWX);
  if (bad)
    FAILF("pmap_fault(%#lx): %s", gpa, bad);
  CHECK_EQ(pm.faults, 1);
  CHECK_EQ(pm.mapped[1], 1);
  CHECK_EQ(pm.mapped[0], 0);
  CHECK_EQ(pm.table_pages, ROOT_PAGES + 2);
  CHECK_EQ(other_pages() - before, 3);            // a page and two tables
  if (!has_backmap(pa, VM, gpa))
    FAILF("no back-mapping (vm %d, gpa %#lx) on the new page", VM, gpa);
  if (fences_all == 0 && (fences == 0 || last_fence != gpa))
    FAILF("pmap_fault must fence the page it mapped: want hfence_gvma(%#lx)"
          " (or hfence_gvma_all), got %d calls, the last for %#lx", gpa,
          fences, last_fence);
}

// A second fault on a page that is already there (another vCPU filled it
// first) changes nothing, takes no memory, and still fences.
static void fault_again_same_page(void) {
  new_pmap(0, 16 * MiB);
  uint64_t gpa = RAM_BASE + 0x5000;
  CHECK_EQ(pmap_fault(&pm, gpa), 0);
  uint64_t pa = pmap_lookup(&pm, gpa);
  uint64_t before = free_pages();
  fences = fences_all = 0;
  CHECK_EQ(pmap_fault(&pm, gpa + 0x800), 0);
  if (pmap_lookup(&pm, gpa) != pa)
    FAILF("a second fault on gpa %#lx replaced its page", gpa);
  if (free_pages() != before)
    FAILF("a second fault on a filled page kept %lu more pages",
          before - free_pages());
  CHECK_EQ(pm.faults, 1);
  CHECK_EQ(pm.mapped[0], 1);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(pa)), 1);
  if (fences + fences_all == 0)
    FAILF("the second fault did not fence: the hart that faulted may still "
          "hold the old 'invalid' translation");
}

// Another vCPU fills the page while this one is getting a page for it
// (the test double above makes that happen): the other vCPU's page stays,
// the page taken here goes back to the memmap, the fill is counted once,
// and this hart still fences.
static void fault_race_lost(void) {
  new_pmap(0, 16 * MiB);
  uint64_t gpa = RAM_BASE + 0x6000;
  // A neighbour first, so that the tables and a page of back-mapping
  // records exist: the only page the fault below needs is the guest page.
  CHECK_EQ(pmap_fault(&pm, RAM_BASE + 0x5000), 0);
  uint64_t before = free_pages();
  race.armed = true;
  race.gpa = gpa;
  fences = fences_all = 0;
  int r = pmap_fault(&pm, gpa + 0x10);
  race.armed = false;
  if (!race.fired) {
    // Every page was taken under pm->lock: no other vCPU could get in.
    CHECK_EQ(r, 0);
    CHECK(pmap_lookup(&pm, gpa) != 0);
    return;
  }
  if (r != 0)
    FAILF("pmap_fault returned %d after another vCPU filled the page: want 0, "
          "the page is mapped", r);
  uint64_t now = pmap_lookup(&pm, gpa);
  if (now != race.theirs)
    FAILF("another vCPU filled gpa %#lx with page %#lx while pmap_fault was "
          "getting its own page (%#lx); afterwards the pmap holds %#lx: under "
          "the lock, look again and keep the page that is already there",
          gpa, race.theirs, race.mine, now);
  if (memmap_lookup(race.mine)->state != PAGE_FREE)
    FAILF("pmap_fault lost the race but did not give its page %#lx back "
          "(memmap_free): a page leaks at every such race", race.mine);
  if (free_pages() != before - 1)
    FAILF("after the race %lu pages are free, want %lu (only the other "
          "vCPU's page in use)", free_pages(), before - 1);
  if (pm.faults != 2)
    FAILF("pm->faults is %lu after two pages were filled, one of them by the "
          "other vCPU: a lost race must not count a fill", pm.faults);
  CHECK_EQ(pm.mapped[0], 2);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(race.theirs)), 1);
  CHECK_EQ(memmap_backmap_count(memmap_lookup(race.mine)), 0);
  uint64_t *pte = find_pte(&pm, gpa);
  const char *bad = pte == NULL ? why : leaf_problem(*pte, race.theirs, PMAP_RWX);
  if (bad)
    FAILF("after the race, gpa %#lx: %s", gpa, bad);
  if (fences_all == 0 && (fences == 0 || last_fence != gpa))
    FAILF("pmap_fault lost the race but did not fence gpa %#lx: this hart "
          "may still hold the old 'invalid' translation", gpa);
}

// A VM spread over two nodes (pmap_span): each page comes from the node of
// its chunk of guest RAM, pmap_page_node(pm, gpa), not from pm->node.
static void fault_spanning_vm(void) {
  new_pmap(1, 16 * MiB);
  pmap_span(&pm, 2);
  struct { uint64_t gpa; int node; } pages[] = {
      {RAM_BASE + 0x3000, 0},                     // chunk 0: node 0
      {RAM_BASE + 8 * MiB + 0x7000, 1},           // chunk 1: node 1
      {RAM_BASE + 8 * MiB - PAGE_SIZE, 0},        // chunk 0's last page
  };
  for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
    CHECK_EQ(pmap_fault(&pm, pages[i].gpa), 0);
    uint64_t pa = pmap_lookup(&pm, pages[i].gpa);
    if (pa == 0)
      FAILF("after pmap_fault(%#lx), pmap_lookup finds no machine page",
            pages[i].gpa);
    int node = memmap_lookup(pa)->node;
    if (node != pages[i].node)
      FAILF("the VM spans 2 nodes and gpa %#lx lies in its chunk %d, whose "
            "pages come from node %d (pmap_page_node), but its page is on "
            "node %d (pm->node is 1)", pages[i].gpa, pages[i].node,
            pages[i].node, node);
  }
  CHECK_EQ(pm.mapped[0], 2);
  CHECK_EQ(pm.mapped[1], 1);
}

// Many pages, across 2 MiB and 1 GiB boundaries: each its own page, all
// zeroed and mapped, tables only where needed.
static void fault_many_pages(void) {
  new_pmap(0, (1UL << 30) + 4 * MiB);
  uint64_t gpas[] = {RAM_BASE, RAM_BASE + 0x1000, RAM_BASE + 0x1ff000,
                     RAM_BASE + 0x200000, RAM_BASE + (1UL << 30),
                     RAM_BASE + (1UL << 30) + 0x3ff000};
  int n = sizeof(gpas) / sizeof(gpas[0]);
  for (int i = 0; i < n; i++) {
    CHECK_EQ(pmap_fault(&pm, gpas[i]), 0);
    uint64_t *p = (uint64_t *)pmap_lookup(&pm, gpas[i]);
    *p = 0x1111 * (i + 1);                        // the guest writes
  }
  for (int i = 0; i < n; i++) {
    uint64_t pa = pmap_lookup(&pm, gpas[i]);
    uint64_t *pte = find_pte(&pm, gpas[i]);
    if (pte == NULL)
      FAILF("%s", why);
    const char *bad = leaf_problem(*pte, ALIGN_DOWN(pa, PAGE_SIZE), PMAP_RWX);
    if (bad)
      FAILF("gpa %#lx: %s", gpas[i], bad);
    if (*(uint64_t *)pa != 0x1111 * (uint64_t)(i + 1))
      FAILF("gpa %#lx shares its machine page with another gpa", gpas[i]);
  }
  CHECK_EQ(pm.faults, n);
  CHECK_EQ(pm.mapped[0], n);
  // Root + level-1 and level-0 for the first GiB (two level-0s), and a
  // level-1 and two level-0s for the second (0x3ff000 is in its 2nd 2 MiB).
  CHECK_EQ(pm.table_pages, ROOT_PAGES + 3 + 3);
}

// Out of memory: -1, the page stays unmapped, and no page is lost on the
// way (pages taken and not kept go back; tables added stay, counted).
static void fault_out_of_memory(void) {
  new_pmap(0, 16 * MiB);
  uint64_t gpa = RAM_BASE + 0x9000;
  exhaust_memory();
  // Pages that may change hands: free ones, table pages, record pages.
  uint64_t budget = pm.table_pages + free_pages() + monitor_pages();
  int given = 0;
  for (;;) {
    int r = pmap_fault(&pm, gpa);
    if (r == 0)
      break;
    if (r != -1)
      FAILF("pmap_fault returned %d; want 0 or -1", r);
    if (pmap_lookup(&pm, gpa) != 0)
      FAILF("pmap_fault returned -1 but left gpa %#lx mapped", gpa);
    uint64_t now = pm.table_pages + free_pages() + monitor_pages();
    if (now != budget)
      FAILF("with %d pages free, a failed pmap_fault lost %lu page(s): every "
            "page it took must be freed again or be a counted table page",
            given, budget - now);
    CHECK_EQ(pm.faults, 0);
    if (++given > 5)
      FAILF("pmap_fault still fails with %d pages free", given - 1);
    give_back(1);
    budget++;
  }
  CHECK_EQ(pm.faults, 1);
  if (find_pte(&pm, gpa) == NULL)
    FAILF("pmap_fault returned 0 but: %s", why);
}

// ---- Together: pmap_destroy undoes it all -----------------------------------

// After faults and an enter, pmap_destroy (not a lab function, but it
// relies on the table's shape and on memmap_backmap_remove) gives back
// every page the VM had and leaves no back-mapping behind.
static void destroy_frees_everything(void) {
  uint64_t before = other_pages();
  new_pmap(1, 64 * MiB);
  uint64_t mapped[40];
  int n = 0;
  for (uint64_t off = 0; off < 48 * MiB; off += 3 * MiB + 0x5000) {
    CHECK_EQ(pmap_fault(&pm, RAM_BASE + off), 0);
    mapped[n++] = pmap_lookup(&pm, RAM_BASE + off);
  }
  uint64_t pa = memmap_alloc(1, VM);
  CHECK_EQ(pmap_enter(&pm, RAM_BASE + 63 * MiB, pa, PMAP_RWX), 0);
  mapped[n++] = pa;
  pmap_destroy(&pm);
  for (int i = 0; i < n; i++)
    if (memmap_lookup(mapped[i])->backmaps != NULL)
      FAILF("machine page %#lx still has a back-mapping after pmap_destroy "
            "(memmap_backmap_remove did not unlink it?)", mapped[i]);
  for (int node = 0; node < NNODES; node++)
    for (int i = 0; i < NODE_PAGES; i++)
      if (records[node][i].state == PAGE_USED && records[node][i].owner == VM)
        FAILF("page %#lx (node %d) still belongs to the VM after "
              "pmap_destroy", memmap_pa(&records[node][i]), node);
  if (other_pages() != before)
    FAILF("%lu more pages are in use after pmap_destroy than before "
          "pmap_init", other_pages() - before);
}

// ---- Running the cases ----------------------------------------------------

static const struct fork_case cases[] = {
#define CASE(f) {#f, f}
    CASE(backmap_add_and_count), CASE(backmap_remove),
    CASE(backmap_records_reused), CASE(backmap_out_of_memory),
    CASE(walk_no_alloc), CASE(walk_alloc), CASE(walk_shares_tables),
    CASE(walk_out_of_memory), CASE(enter_maps_page), CASE(enter_shared_page),
    CASE(enter_fails_cleanly), CASE(fault_fills_page),
    CASE(fault_again_same_page), CASE(fault_race_lost), CASE(fault_spanning_vm),
    CASE(fault_many_pages), CASE(fault_out_of_memory),
    CASE(destroy_frees_everything),
};

int main(int argc, char **argv) {
  return fork_cases_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]), boot_machine);
}
