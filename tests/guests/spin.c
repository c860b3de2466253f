// tests/guests/spin.c: a guest that never gives its hart back.
//
// Interrupts off and an endless loop: on a real machine this hart is
// lost. Under the monitor the host timer still preempts it, so the other
// VMs keep running (tests/system/test_vm.py).
#include "tests/guests/guest.h"

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("spin: spinning with interrupts off\n");
  irqs_off();
  for (;;)
    ;
}
