// tests/guests/reboot.c: a guest that reboots its VM, again and again.
//
// SBI SRST with "cold reboot" restarts this VM alone, from its image, with
// fresh memory; the monitor and the other VMs carry on.
#include "tests/guests/guest.h"

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  static int boots;                 // .bss: zero again after each reboot
  boots++;
  printf("reboot: booted, boots seen in this memory: %d\n", boots);
  sbi_system_reset(SBI_RESET_COLD_REBOOT, SBI_RESET_REASON_NONE);
}
