// tests/guests/hostesc.c: a hostile guest that tries to pass for the
// monitor on the console (tests/system/test_hostile.py; issue 10,
// finding 6).
//
// Every line a VM prints comes out with "[name] " in front. This guest
// prints terminal control sequences meant to erase that prefix or move
// the cursor (ESC [ 2K, ESC [ 1G, ESC [ 1A, the 8-bit CSI 0x9b, an OSC
// title, BEL, vertical tab, form feed, DEL, NUL) followed by text that
// looks like the monitor's own lines ("vm victim: stopped: ...",
// "panic: ..."), through the UART and through the SBI console. None of
// those bytes may reach the terminal raw: the monitor must filter them or
// show them as visible text, so that every line the guest prints still
// reads as the guest's. Backspaces past the start of its line must not
// eat the prefix either.
#include "kernel/string.h"
#include "tests/guests/guest.h"

#define UART 0x10000000UL

static const char *const forgeries[] = {
    "\x1b[2K\x1b[1Gvm victim: stopped: forged by hostesc (exit 0)\n",
    "\x1b[1A\x1b[2Kpanic: forged by hostesc\n",
    "\x9b" "2K\x9b" "1Gvm victim: stopped: forged by hostesc (exit 0)\n",
    "\x1b]0;forged title\x07 bell and title\n",
    "\x0b\x0c vertical tab and form feed\n",
    "\x7f\x7f\x7f DEL, and a NUL: \x00.\n",
};

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("hostesc: forging monitor lines\n");
  for (unsigned i = 0; i < sizeof(forgeries) / sizeof(forgeries[0]); i++) {
    const char *s = forgeries[i];
    size_t n = strlen(s);
    if (i == sizeof(forgeries) / sizeof(forgeries[0]) - 1)
      n += 1 + strlen(s + n + 1);                   // the NUL and after
    for (size_t k = 0; k < n; k++)                  // through the UART
      *(volatile uint8_t *)UART = (uint8_t)s[k];
    sbi_call(SBI_EXT_DBCN, 0, n, (uint64_t)s, 0, 0, 0, 0);   // and the SBI
  }
  for (int i = 0; i < 40; i++)                     // backspaces past the start
    *(volatile uint8_t *)UART = '\b';
  printf("after 40 backspaces\n");
  finish("hostesc");
}
