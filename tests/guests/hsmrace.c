// tests/guests/hsmrace.c: several vCPUs race SBI HSM hart_start on one
// target vCPU that stops itself as soon as it runs.
//
// SBI spec 9.1: hart_start succeeds only for a hart that is STOPPED, and
// a hart it succeeds for starts, once. So however the racers collide,
// every successful hart_start must be matched by exactly one run of the
// target, and a target that called hart_stop must never come back from
// it. (Issue 10, finding 4: two racers could both win one STOPPED target,
// which then ran once for two starts, or was queued twice and ran again
// after hart_stop.)
//
// vCPU 0 starts the other racers (vCPUs 1 .. n-2), lets them go at once,
// races too, waits for them and for the target (vCPU n-1) to settle, and
// checks the counts. In each round a racer waits until the target is
// STOPPED again, so that all of them call hart_start at about the same
// moment.
#include "kernel/fdt.h"
#include "tests/guests/guest.h"

#define ROUNDS 400           // hart_start calls per racer
#define RACER  1             // opaque values: what a started vCPU is
#define TARGET 2
#define MS     10000UL       // rdtime ticks per millisecond (10 MHz)

static int target;           // the target's hart id: the last vCPU
static volatile int go;      // the racers wait for this
static volatile uint64_t ready, done;    // racers that are up, finished
static volatile uint64_t starts;         // hart_start calls that succeeded
static volatile uint64_t runs;           // times the target ran
static volatile uint64_t came_back;      // times its hart_stop returned
static volatile uint64_t odd_errors;     // errors other than "already"
static volatile long odd_error;          // the last one

static void add(volatile uint64_t *counter) {
  __atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
}

// The target: count the run and stop at once. hart_stop never returns
// (spec 9.2); if it does, the monitor ran a stopped vCPU again.
static void target_run(void) {
  add(&runs);
  sbi_hart_stop();
  add(&came_back);
  printf("hsmrace: hart_stop returned on the target\n");
  for (;;)
    wfi();
}

// Race: ROUNDS times, wait for the target to be STOPPED, then start it.
static void race(void) {
  for (int i = 0; i < ROUNDS; i++) {
    while (sbi_hart_get_status((uint64_t)target).value != SBI_HSM_STOPPED)
      ;
    long err = start_hart((uint64_t)target, TARGET);
    if (err == SBI_SUCCESS) {
      add(&starts);
    } else if (err != SBI_ERR_ALREADY_AVAILABLE) {
      odd_error = err;
      add(&odd_errors);
    }
  }
}

static void racer_run(void) {
  add(&ready);
  while (!go)
    ;
  race();
  add(&done);
}

void guest_hart(uint64_t hartid, uint64_t opaque) {
  if (opaque == TARGET)
    target_run();
  else
    racer_run();
}

// Wait up to ms milliseconds for *counter to reach want.
static bool wait_count(volatile uint64_t *counter, uint64_t want, uint64_t ms) {
  uint64_t end = rdtime() + ms * MS;
  while (*counter < want && rdtime() < end)
    ;
  return *counter >= want;
}

// Wait up to ms milliseconds for the target to be STOPPED with every
// start's run counted.
static bool settled(uint64_t ms) {
  uint64_t end = rdtime() + ms * MS;
  while (rdtime() < end)
    if (sbi_hart_get_status((uint64_t)target).value == SBI_HSM_STOPPED &&
        runs == starts)
      return true;
  return false;
}

void guest_main(uint64_t hartid, const void *dtb) {
  struct fdt fdt;
  int ncpus = 0;
  if (fdt_init(&fdt, dtb, 64 * 1024) == 0) {
    int cpus = fdt_path(&fdt, "/cpus");
    for (int c = fdt_first_child(&fdt, cpus); c >= 0; c = fdt_next_sibling(&fdt, c))
      ncpus++;
  }
  check("hsmrace-enough-vcpus", ncpus >= 4, ncpus);
  if (ncpus < 4)
    finish("hsmrace");
  target = ncpus - 1;
  int racers = ncpus - 1;     // vCPU 0 too
  for (int h = 1; h < racers; h++)
    start_hart((uint64_t)h, RACER);
  check("hsmrace-racers-up", wait_count(&ready, (uint64_t)racers - 1, 5000),
        (long)ready);
  go = 1;
  race();
  check("hsmrace-racers-done", wait_count(&done, (uint64_t)racers - 1, 60000),
        (long)done);
  bool ok = settled(5000);
  printf("hsmrace: %d racers, %lu successful starts, %lu runs of the target\n",
         racers, starts, runs);
  check("hsmrace-one-run-per-start", ok && runs == starts, (long)(starts - runs));
  check("hsmrace-some-starts", starts > 0, (long)starts);
  check("hsmrace-hart-stop-never-returns", came_back == 0, (long)came_back);
  check("hsmrace-only-already-available", odd_errors == 0, odd_error);
  finish("hsmrace");
}
