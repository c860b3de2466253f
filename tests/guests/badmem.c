// tests/guests/badmem.c: a guest that reads memory it does not have.
//
// The monitor must stop this VM, with a report naming the address, the
// pc and the vCPU, and must not itself crash: the other VMs go on.
#include "tests/guests/guest.h"

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("badmem: reading 0x200000000\n");
  uint64_t v = *(volatile uint64_t *)0x200000000UL;
  printf("badmem: read %lx: the monitor let it through!\n", v);
}
