// tests/guests/hosthsm.c: a hostile guest that races SBI HSM calls
// (tests/system/test_hostile.py; issue 10, finding 4).
//
// bootargs "starters=N" (default 2), and N + 2 vCPUs. vCPUs 1..N each
// call hart_start on vCPU N + 1, the target, as fast as they can, for
// SECONDS; the target, each time it runs, counts the run and stops
// itself at once (hart_stop). The SBI spec (9.1) lets exactly one
// hart_start win while the target is STOPPED, and a stopped hart stays
// stopped until the next start; so when all is done the number of
// successful starts must equal the number of runs, and hart_stop must
// never return. vCPU 0 counts and checks, and powers off.
#include "tests/guests/guest.h"

#define SECONDS 3
#define STARTER 1
#define TARGET 2

static volatile uint64_t starts, runs, stop_returned, starters_done;
static uint64_t target;

void guest_hart(uint64_t hartid, uint64_t opaque) {
  if (opaque == TARGET) {
    __atomic_fetch_add(&runs, 1, __ATOMIC_SEQ_CST);
    sbi_hart_stop();
    __atomic_fetch_add(&stop_returned, 1, __ATOMIC_SEQ_CST);
    printf("hosthsm: hart_stop returned on vCPU %lu\n", hartid);
    for (;;)
      wfi();
  }
  uint64_t end = rdtime() + SECONDS * 10000000UL;   // 10 MHz
  while (rdtime() < end)
    if (start_hart(target, TARGET) == SBI_SUCCESS)
      __atomic_fetch_add(&starts, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&starters_done, 1, __ATOMIC_SEQ_CST);
}

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t n = bootarg_num("starters", 2);
  target = n + 1;
  printf("hosthsm: %lu vCPUs race to start one that stops at once\n", n);
  for (uint64_t i = 1; i <= n; i++)
    check("start-starter", start_hart(i, STARTER) == 0, (long)i);
  uint64_t end = rdtime() + 300000000;            // 30 s at 10 MHz
  // Out of the way: sleep, 10 ms at a time. The timer is enabled in sie
  // but sstatus.SIE stays 0, so WFI wakes on it (privileged spec 3.3.3)
  // and no handler runs: a timer that fires before the WFI (this vCPU may
  // wait longer than 10 ms for its hart) leaves STIP pending and the WFI
  // returns at once, instead of sleeping forever.
  irqs_on();
  irqs_off();
  while (starters_done < n && rdtime() < end) {
    sbi_set_timer(rdtime() + 100000);             // also clears STIP
    wfi();
  }
  check("starters-done", starters_done == n, (long)starters_done);
  // Let the last start's run happen: the target is STOPPED at the end.
  while (sbi_hart_get_status(target).value != SBI_HSM_STOPPED && rdtime() < end)
    ;
  uint64_t settle = rdtime() + 1000000;           // and no stale run after
  while (rdtime() < settle)
    ;
  printf("hosthsm: %lu starts succeeded, the target ran %lu times\n", starts, runs);
  check("starts-equal-runs", starts == runs, (long)(runs - starts));
  check("hart-stop-never-returns", stop_returned == 0, (long)stop_returned);
  finish("hosthsm");
}
