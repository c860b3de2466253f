// tests/guests/badmmio.c: a guest that pokes a device the wrong way.
//
// A one-byte read of a PLIC register (the PLIC has only 32-bit registers):
// the monitor must stop this VM with a report, not guess what was meant.
#include "tests/guests/guest.h"

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("badmmio: one-byte read of the PLIC\n");
  uint8_t v = *(volatile uint8_t *)0x0c000004UL;
  printf("badmmio: read %x: the monitor let it through!\n", v);
}
