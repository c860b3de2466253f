// tests/guests/tlbtest.c: the lab 2 guest: the monitor changes this VM's
// mappings while its vCPUs run, and nothing may go stale.
//
// It uses the monitor's test-only SBI extension (hyp/vsbi_test.c: move a
// guest page to a new machine page), which exists only in test builds.
// bootargs choose what it does:
//
//   mode=cross rounds=N   the cross-hart test (2 vCPUs on 2 harts). vCPU 1
//       stays in the guest reading word 0 of a page in a loop, never
//       trapping on purpose; vCPU 0, N times: writes 2r there, asks the
//       monitor to move the page, writes 2r + 1 (now into the new page),
//       then publishes r in a flag on another page. A reader that sees
//       flag r must see at least 2r + 1: if it sees less, its hart still
//       translates the page to the old machine page, i.e. the monitor's
//       shootdown did not reach it. Prints "tlbtest: stale=K".
//   mode=churn rounds=N vcpus=K   K vCPUs each own 4 pages and, N times,
//       check and rewrite every word they wrote last round, fence the
//       others with SBI RFENCE (a range, a range with an ASID, an empty
//       range, a range that wraps around), and
//       now and then sleep (WFI) so the scheduler moves them; vCPU 0 also
//       moves one page a round, round robin over every vCPU's pages, and
//       has the monitor take its scratch page away (memmap_unmap_page),
//       after which the page must read as zeros. A lost
//       write shows as a wrong word; a missing fence shows in the auditor,
//       whose count vCPU 0 reads at the end.
//   mode=dma rounds=N   (needs a disk) N times: write a pattern to a disk
//       block, clear the buffer page, read half the block back into it, and
//       while the read is in flight keep asking the monitor to move that
//       page. The monitor must refuse (SBI_ERR_DENIED) while the disk has
//       the page pinned: a page moved under a read would get the data in
//       the old page, and the buffer would read back cleared.
//   mode=numa rounds=N   (lab 4: a VM spanning 2 nodes, vCPU 1 on node 1,
//       numa-policy = "migrate") vCPU 1 rewrites and checks NUMA_PAGES
//       pages of `area`, which sits in the VM's first half (node 0's
//       memory), round after round, up to N rounds or until the monitor
//       says all of them are on node 1 (test call page_node), napping now
//       and then so that its VM's scans run. Prints "tlbtest: numa pages=P
//       on-node1=K rounds=R bad=B".
//   mode=follow rounds=N   (lab 4: a VM of 1 vCPU homed on node 0, with
//       numa-policy = "migrate", beside another busy VM there) vCPU 0
//       runs numa mode's loop itself, without the naps: never idle, it
//       waits in line behind the other VM until the scheduler moves it to
//       node 1, and then its pages should follow it there. Its page_node
//       calls trap, so its VM's scans run. Prints numa mode's line.
//   mode=replicate rounds=N   (lab 4: the same VM, numa-policy =
//       "replicate") N versions: vCPU 0 writes version v into NUMA_PAGES
//       pages and publishes v; then both vCPUs read the pages over and over
//       (read-shared: the monitor should give node 1 copies), each checking
//       every word is v; vCPU 1 says it is done with v; the next version's
//       writes must collapse the copies, or vCPU 1 would read an old one.
//       Prints "tlbtest: replicate versions=N bad=B".
//   nodes=N   move pages to node r % N in round r (default 1: node 0).
#include "kernel/string.h"
#include "tests/guests/guest.h"
#include "tests/guests/vblk.h"

#define SBI_EXT_DISCO_TEST 0x08445654
#define TEST_MOVE_PAGE 0
#define TEST_AUDIT_VIOLATIONS 1
#define TEST_UNMAP_PAGE 2
#define TEST_PAGE_NODE 3

#define SLICE 4                  // pages per vCPU in churn mode
#define WORDS 64                 // words checked per page
#define MAX_V 8

static uint64_t area[MAX_V * SLICE][512] __attribute__((aligned(4096)));
static volatile uint64_t cross_page[512] __attribute__((aligned(4096)));
static volatile uint64_t flags[512] __attribute__((aligned(4096)));
static volatile uint64_t scratch[512] __attribute__((aligned(4096)));
#define FLAG_ROUND 0             // cross: the last round published
#define FLAG_DONE 1              // vCPUs finished
#define FLAG_STALE 2             // cross: stale reads seen
#define FLAG_BAD 3               // churn: wrong words seen
#define FLAG_READY 4             // cross: the reader is reading

static char mode[16] = "churn";
static uint64_t rounds = 100, nv = 2, nnodes = 1;

// The knobs, from the boot arguments (see the top of this file).
static void read_bootargs(void) {
  bootarg_str("mode", mode, sizeof(mode));
  rounds = bootarg_num("rounds", rounds);
  nv = bootarg_num("vcpus", nv);
  nv = nv < 1 ? 1 : nv > MAX_V ? MAX_V : nv;
  nnodes = bootarg_num("nodes", nnodes);
  nnodes = nnodes < 1 ? 1 : nnodes;
}

static long move_page(const volatile void *p, uint64_t node) {
  return sbi_call(SBI_EXT_DISCO_TEST, TEST_MOVE_PAGE, (uint64_t)p, node, 0, 0, 0, 0).error;
}

// Sleep about `us` microseconds in WFI (the vCPU gives its hart away).
// The check and the WFI run with interrupts off (WFI still wakes on a
// pending enabled one, privileged spec 3.3.3): with them on, the timer
// could be taken between the check and the WFI, which would then wait for
// an interrupt that has already come.
static void nap(uint64_t us) {
  uint64_t h = hart_id(), seen = timer_irqs[h];
  sbi_set_timer(rdtime() + us * 10);          // QEMU virt: 10 MHz timebase
  csr_set(sie, 1UL << IRQ_S_TIMER);           // WFI wakes only on enabled ones
  for (;;) {
    irqs_off();
    if (timer_irqs[h] != seen)
      break;
    wfi();
    irqs_on();                                // take it here
  }
}

// ---- mode=cross ----

static void cross_reader(void) {
  uint64_t stale = 0;
  __atomic_store_n(&flags[FLAG_READY], 1, __ATOMIC_RELEASE);
  for (;;) {
    uint64_t r = __atomic_load_n(&flags[FLAG_ROUND], __ATOMIC_ACQUIRE);
    uint64_t x = cross_page[0];
    if (r > 0 && x < 2 * r + 1)
      stale++;
    if (r >= rounds)
      break;
  }
  __atomic_store_n(&flags[FLAG_STALE], stale, __ATOMIC_RELEASE);
  __atomic_fetch_add(&flags[FLAG_DONE], 1, __ATOMIC_ACQ_REL);
}

static void cross_mover(void) {
  check("start reader", start_hart(1, 0) == 0, 0);
  while (__atomic_load_n(&flags[FLAG_READY], __ATOMIC_ACQUIRE) == 0)
    ;
  long err = 0;
  for (uint64_t r = 1; r <= rounds; r++) {
    cross_page[0] = 2 * r;
    err |= move_page(cross_page, r % nnodes);
    cross_page[0] = 2 * r + 1;
    __atomic_store_n(&flags[FLAG_ROUND], r, __ATOMIC_RELEASE);
    for (volatile int d = 0; d < 2000; d++)   // give the reader a moment
      ;
  }
  while (__atomic_load_n(&flags[FLAG_DONE], __ATOMIC_ACQUIRE) < 1)
    ;
  uint64_t stale = flags[FLAG_STALE];
  printf("tlbtest: stale=%lu rounds=%lu\n", stale, rounds);
  check("moves", err == 0, err);
  check("no stale reads", stale == 0, (long)stale);
}

// ---- mode=dma ----

static uint64_t dma_buf[512] __attribute__((aligned(4096)));
static uint64_t dma_moved, dma_denied, dma_errors;

// While a read into dma_buf is in flight: try to move the page.
static void move_during_dma(void) {
  long e = move_page(dma_buf, dma_moved % nnodes);
  if (e == SBI_SUCCESS)
    dma_moved++;
  else if (e == SBI_ERR_DENIED)
    dma_denied++;
  else
    dma_errors++;
}

static void dma(void) {
  check("disk", vblk_init(), 0);
  uint64_t bad = 0;
  for (uint64_t r = 1; r <= rounds; r++) {
    uint64_t sector = 8 * (r % 64);
    for (int w = 0; w < 512; w++)
      dma_buf[w] = r << 32 | (uint64_t)w;
    check("write", vblk_rw(true, sector, dma_buf, 4096) == 0, (long)r);
    memset(dma_buf, 0, sizeof(dma_buf));
    // Half the block: a whole block read into a whole page would go to
    // the monitor's block cache and be mapped here (lab 3), so the disk
    // would never write this page itself.
    vblk_waiting = move_during_dma;
    check("read", vblk_rw(false, sector, dma_buf, 2048) == 0, (long)r);
    vblk_waiting = NULL;
    for (int w = 0; w < 256; w++)
      if (dma_buf[w] != (r << 32 | (uint64_t)w))
        bad++;
  }
  printf("tlbtest: dma rounds=%lu bad=%lu moved=%lu denied=%lu\n", rounds, bad,
         dma_moved, dma_denied);
  check("no lost reads", bad == 0, (long)bad);
  check("move errors", dma_errors == 0, (long)dma_errors);
  check("moves refused while the disk had the page", dma_denied > 0, 0);
}

// ---- mode=numa ----

#define NUMA_PAGES 8

// The node of the machine page behind p, or -1.
static long page_node(const volatile void *p) {
  struct sbiret r = sbi_call(SBI_EXT_DISCO_TEST, TEST_PAGE_NODE, (uint64_t)p, 0, 0, 0, 0, 0);
  return r.error == 0 ? r.value : -1;
}

// How many of the NUMA_PAGES pages are on node 1 now.
static uint64_t numa_on_node1(void) {
  uint64_t k = 0;
  for (int p = 0; p < NUMA_PAGES; p++)
    k += page_node(area[p]) == 1;
  return k;
}

// vCPU 1 (mode=numa; vCPU 0 for mode=follow, which never naps): use the
// pages until they have all come to its node.
static void numa_user(bool naps) {
  uint64_t bad = 0, r;
  for (r = 1; r <= rounds && numa_on_node1() < NUMA_PAGES; r++) {
    for (int p = 0; p < NUMA_PAGES; p++)
      for (int w = 0; w < 512; w += 8) {
        if (r > 1 && area[p][w] != ((uint64_t)p << 32 | (r - 1)))
          bad++;
        area[p][w] = (uint64_t)p << 32 | r;
      }
    if (naps && r % 16 == 0)
      nap(100);
  }
  printf("tlbtest: numa pages=%d on-node1=%lu rounds=%lu bad=%lu\n", NUMA_PAGES,
         numa_on_node1(), r - 1, bad);
  __atomic_fetch_add(&flags[FLAG_BAD], bad, __ATOMIC_ACQ_REL);
  __atomic_fetch_add(&flags[FLAG_DONE], 1, __ATOMIC_ACQ_REL);
}

// ---- mode=replicate ----

#define READS 1000               // reads of all the pages per version

// Read every word of the pages `reads` times; how many are not v.
static uint64_t read_pages(uint64_t v, int reads) {
  uint64_t bad = 0;
  for (int k = 0; k < reads; k++) {
    for (int p = 0; p < NUMA_PAGES; p++)
      for (int w = 0; w < 512; w += 8)
        if (((volatile uint64_t *)area[p])[w] != ((uint64_t)p << 32 | v))
          bad++;
    if (k % 50 == 49)
      nap(100);                  // a trap: its VM's scans run
  }
  return bad;
}

// vCPU 1: read each version once vCPU 0 has published it.
static void replicate_reader(void) {
  uint64_t bad = 0;
  for (uint64_t v = 1; v <= rounds; v++) {
    while (__atomic_load_n(&flags[FLAG_ROUND], __ATOMIC_ACQUIRE) < v)
      ;
    bad += read_pages(v, READS);
    __atomic_store_n(&flags[FLAG_READY], v, __ATOMIC_RELEASE);
  }
  __atomic_fetch_add(&flags[FLAG_BAD], bad, __ATOMIC_ACQ_REL);
  __atomic_fetch_add(&flags[FLAG_DONE], 1, __ATOMIC_ACQ_REL);
}

// vCPU 0: write each version, publish it, read it too.
static void replicate_writer(void) {
  uint64_t bad = 0;
  check("start vcpu", start_hart(1, 0) == 0, 1);
  for (uint64_t v = 1; v <= rounds; v++) {
    for (int p = 0; p < NUMA_PAGES; p++)
      for (int w = 0; w < 512; w += 8)
        area[p][w] = (uint64_t)p << 32 | v;
    __atomic_store_n(&flags[FLAG_ROUND], v, __ATOMIC_RELEASE);
    bad += read_pages(v, READS);
    while (__atomic_load_n(&flags[FLAG_READY], __ATOMIC_ACQUIRE) < v)
      nap(100);
  }
  while (__atomic_load_n(&flags[FLAG_DONE], __ATOMIC_ACQUIRE) < 1)
    nap(1000);
  bad += flags[FLAG_BAD];
  printf("tlbtest: replicate versions=%lu bad=%lu\n", rounds, bad);
  check("no stale reads", bad == 0, (long)bad);
}

// ---- mode=churn ----

static void churn(uint64_t me) {
  uint64_t bad = 0, mask = ((1UL << nv) - 1) & ~(1UL << me);
  for (uint64_t r = 1; r <= rounds; r++) {
    for (int p = 0; p < SLICE; p++) {
      uint64_t *page = area[me * SLICE + p];
      for (int w = 0; w < WORDS; w++) {
        uint64_t want = r == 1 ? 0 : (me << 48 | (uint64_t)p << 40 | (r - 1));
        if (page[w * 8] != want)
          bad++;
        page[w * 8] = me << 48 | (uint64_t)p << 40 | r;
      }
    }
    if (mask != 0 && r % 4 == 0)
      sbi_remote_sfence_vma(mask, 0, (uint64_t)area[me * SLICE], SLICE * 4096);
    if (mask != 0 && r % 4 == 2)
      sbi_remote_sfence_vma_asid(mask, 0, (uint64_t)area[me * SLICE], 4096, me);
    // Two edge cases of the spec's ranges: one of size 0 (nothing to
    // fence), and one that wraps around the end of the address space
    // (the monitor must fence more, never less).
    if (mask != 0 && r % 8 == 1)
      sbi_remote_sfence_vma(mask, 0, (uint64_t)area[me * SLICE], 0);
    if (mask != 0 && r % 8 == 5)
      sbi_remote_sfence_vma(mask, 0, ~0UL - 4095, 2 * 4096);
    if (me == 0) {
      uint64_t k = r % (nv * SLICE);
      if (move_page(area[k], r % nnodes) != 0)
        bad++;
      scratch[0] = r;
      struct sbiret u = sbi_call(SBI_EXT_DISCO_TEST, TEST_UNMAP_PAGE,
                                 (uint64_t)scratch, 0, 0, 0, 0, 0);
      if (u.error != 0 || u.value != 1 || scratch[0] != 0)
        bad++;
    }
    if (r % 8 == me % 8)
      nap(200);
  }
  __atomic_fetch_add(&flags[FLAG_BAD], bad, __ATOMIC_ACQ_REL);
  __atomic_fetch_add(&flags[FLAG_DONE], 1, __ATOMIC_ACQ_REL);
}

void guest_hart(uint64_t hartid, uint64_t opaque) {
  if (strcmp(mode, "cross") == 0)
    cross_reader();
  else if (strcmp(mode, "numa") == 0)
    numa_user(true);
  else if (strcmp(mode, "replicate") == 0)
    replicate_reader();
  else
    churn(hartid);
}

void guest_main(uint64_t hartid, const void *dtb) {
  read_bootargs();
  struct sbiret p = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_DISCO_TEST, 0, 0, 0, 0, 0);
  check("test extension", p.value == 1, p.value);
  if (p.value != 1)
    finish("tlbtest");
  if (strcmp(mode, "cross") == 0) {
    cross_mover();
  } else if (strcmp(mode, "dma") == 0) {
    dma();
  } else if (strcmp(mode, "replicate") == 0) {
    replicate_writer();
  } else if (strcmp(mode, "numa") == 0) {
    check("start vcpu", start_hart(1, 0) == 0, 1);
    while (__atomic_load_n(&flags[FLAG_DONE], __ATOMIC_ACQUIRE) < 1)
      nap(1000);                  // vCPU 0 traps now and then: its VM's scans
    check("numa data", flags[FLAG_BAD] == 0, (long)flags[FLAG_BAD]);
  } else if (strcmp(mode, "follow") == 0) {
    numa_user(false);
    check("numa data", flags[FLAG_BAD] == 0, (long)flags[FLAG_BAD]);
  } else {
    for (uint64_t i = 1; i < nv; i++)
      check("start vcpu", start_hart(i, 0) == 0, (long)i);
    churn(0);
    while (__atomic_load_n(&flags[FLAG_DONE], __ATOMIC_ACQUIRE) < nv)
      nap(1000);
    uint64_t bad = flags[FLAG_BAD];
    for (uint64_t v = 0; v < nv; v++)
      for (int pg = 0; pg < SLICE; pg++)
        for (int w = 0; w < WORDS; w++)
          if (area[v * SLICE + pg][w * 8] != (v << 48 | (uint64_t)pg << 40 | rounds))
            bad++;
    printf("tlbtest: churn vcpus=%lu rounds=%lu bad=%lu\n", nv, rounds, bad);
    check("no lost writes", bad == 0, (long)bad);
  }
  struct sbiret a = sbi_call(SBI_EXT_DISCO_TEST, TEST_AUDIT_VIOLATIONS, 0, 0, 0, 0, 0, 0);
  check("auditor: no violations", a.error == 0 && a.value == 0, a.value);
  finish("tlbtest");
}
