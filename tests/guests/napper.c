// tests/guests/napper.c: a guest that is idle nearly all the time.
//
// Naps "naps=N" times (default 20), each "ms=M" milliseconds (default
// 20) of its own timer, waiting in WFI, then powers off. Every nap ends
// only if the monitor notices its timer while the VM is descheduled: a
// VM beside it that keeps its hart waiting for an interrupt (hostspin's
// "wfi", tests/system/test_vm.py) must not keep it asleep.
#include "tests/guests/guest.h"

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t naps = bootarg_num("naps", 20), ms = bootarg_num("ms", 20);
  uint64_t ticks = ms * 10000;                   // QEMU virt: 10 MHz
  printf("napper: %lu naps of %lu ms\n", naps, ms);
  irqs_on();
  for (uint64_t i = 0; i < naps; i++) {
    uint64_t before = timer_irqs[0];
    sbi_set_timer(rdtime() + ticks);
    // WFI with interrupts off, let them in between (blktest's wait).
    irqs_off();
    while (timer_irqs[0] == before) {
      wfi();
      csr_set(sstatus, SSTATUS_SIE);
      csr_clear(sstatus, SSTATUS_SIE);
    }
  }
  check("naps", true, (long)naps);
  finish("napper");
}
