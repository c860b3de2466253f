// tests/guests/hostspin.c: a hostile guest that never gives its harts
// back (tests/system/test_hostile.py).
//
// Every vCPU (bootargs "vcpus=N", as in its configuration) spins with
// interrupts off: sstatus.SIE clear, nothing enabled in sie, no timer
// set. On a real machine those harts are lost. Under the monitor the
// host's timer still takes the hart back every time slice, so the other
// VMs run on. "seconds=N": vCPU 0 powers the VM off after N seconds of
// spinning (0: never). "wfi": instead of spinning, every vCPU waits in
// WFI with nothing enabled that could wake it, forever: an idle VM that
// costs no hart time and never stops.
#include "tests/guests/guest.h"

static bool use_wfi;

// Interrupts off, none enabled, and spin (or WFI) until `until` (0:
// forever).
static void lose_the_hart(uint64_t until) {
  irqs_off();
  csr_write(sie, 0);
  while (until == 0 || rdtime() < until)
    if (use_wfi)
      wfi();
}

void guest_hart(uint64_t hartid, uint64_t opaque) { lose_the_hart(opaque); }

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t n = bootarg_num("vcpus", 1), seconds = bootarg_num("seconds", 0);
  use_wfi = bootarg_has("wfi");
  uint64_t until = seconds == 0 ? 0 : rdtime() + seconds * 10000000;   // 10 MHz
  for (uint64_t i = 1; i < n; i++)
    check("start", start_hart(i, until) == 0, (long)i);
  printf("hostspin: %lu vCPUs %s with interrupts off\n", n, use_wfi ? "in WFI" : "spinning");
  lose_the_hart(until);
  finish("hostspin");
}
