// splashos/thread.c: threads on harts (see splashos/thread.h).
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "splashos/barrier.h"
#include "splashos/machine.h"
#include "splashos/param.h"
#include "splashos/thread.h"

static int nthreads;
static uint64_t hart_of[MAX_HARTS];    // thread id -> hart id
static int node_of[MAX_HARTS];         // thread id -> NUMA node
static int thread_of[MAX_HARTS];       // hart id -> thread id, or -1
static void (*body)(int tid);          // what every thread runs
static struct barrier everyone;        // barrier() for all threads

// Set by the boot hart once the tables above are filled. A secondary hart
// (or one that came in early, see splashos/entry.S) waits for it.
static volatile int ready;
// Secondary threads that have arrived, and which ones: the boot hart
// waits for them all, and names those that do not come.
static uint32_t arrived;
static volatile bool came[MAX_HARTS];

// Work counters, one cache line (64 bytes) each, so that threads counting
// at the same time do not fight over one line (false sharing).
static struct {
  long units;
  char pad[56];
} work[MAX_HARTS];

extern char _secondary_entry[];

int thread_id(void) { return thread_of[hart_id()]; }
int thread_count(void) { return nthreads; }
uint64_t thread_hart(int tid) { return hart_of[tid]; }
int thread_node(int tid) { return node_of[tid]; }
void barrier(void) { barrier_wait(&everyone, thread_id()); }
void work_add(long units) { work[thread_id()].units += units; }
long work_done(int tid) { return work[tid].units; }

void thread_share(long n, int tid, long *lo, long *hi) {
  long base = n / nthreads, extra = n % nthreads;
  *lo = tid * base + (tid < extra ? tid : extra);
  *hi = *lo + base + (tid < extra ? 1 : 0);
}

// Give thread t to the i-th hart the device tree lists.
static void assign(int t, int i) {
  hart_of[t] = machine.harts[i].id;
  node_of[t] = machine.harts[i].node;
  thread_of[machine.harts[i].id] = t;
}

// Fill the tables: the boot hart is thread 0, then the other harts in
// tree order, until there are n threads.
static void assign_threads(int n) {
  for (int h = 0; h < MAX_HARTS; h++)
    thread_of[h] = -1;
  int t = 1;
  for (int i = 0; i < machine.nharts; i++) {
    if (machine.harts[i].id == hart_id())
      assign(0, i);
    else if (t < n)
      assign(t++, i);
  }
}

// Wait up to `seconds` for every secondary thread to arrive. Returns
// true when they all did.
static bool wait_arrivals(int seconds) {
  uint64_t deadline = rdtime() + seconds * machine.timebase;
  while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) != (uint32_t)nthreads - 1)
    if (rdtime() > deadline)
      return false;
  return true;
}

int threads_init(int n) {
  nthreads = n;
  assign_threads(n);
  if (thread_of[hart_id()] != 0) {
    printf("splashos: boot hart %lu is not in the device tree\n", hart_id());
    return -1;
  }
  barrier_init(&everyone, n);
  return 0;
}

int threads_start(void (*fn)(int tid)) {
  int n = nthreads;
  body = fn;
  barrier_hart_init();
  __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);

  for (int t = 1; t < n; t++) {
    struct sbiret r = sbi_hart_start(hart_of[t], (uint64_t)_secondary_entry, 0);
    // "Already started" is no error: that hart came in through _entry by
    // itself and is on its way here (splashos/entry.S).
    if (r.error != SBI_SUCCESS && r.error != SBI_ERR_ALREADY_AVAILABLE &&
        r.error != SBI_ERR_ALREADY_STARTED)
      printf("splashos: hart_start(%lu) failed: %s\n", hart_of[t],
             sbi_strerror(r.error));
  }

  // Harts take microseconds to start; a few seconds is room enough even
  // under a busy monitor. A hart that never comes is named, not waited on.
  if (wait_arrivals(5))
    return 0;
  for (int t = 1; t < n; t++)
    if (!came[t])
      printf("splashos: thread %d: hart %lu did not start\n", t, hart_of[t]);
  return -1;
}

void threads_run(void) {
  body(0);
  barrier();
}

// The first C code a secondary hart runs (from splashos/entry.S): wait for
// the tables, run the thread if this hart has one, then stop the hart.
void thread_secondary(uint64_t hartid) {
  while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
    ;
  int tid = thread_of[hartid];
  if (tid >= 0) {
    barrier_hart_init();
    came[tid] = true;
    __atomic_add_fetch(&arrived, 1, __ATOMIC_RELEASE);
    body(tid);
    barrier();
  }
  // Nothing left to do: give the hart back to the firmware (or, under the
  // monitor, give the physical hart to another virtual CPU).
  sbi_hart_stop();
  for (;;)
    wfi();
}
