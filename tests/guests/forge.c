// tests/guests/forge.c: a guest that tries to pass for the monitor.
//
// The monitor prints each VM's output behind its name, "[forge] ...", and
// its own messages with no prefix. This guest writes lines built to erase
// its prefix and leave a monitor message in its place: ANSI escape
// sequences that clear the line and go to column 1, a lone carriage
// return, backspaces, the UTF-8 and the bare 8-bit form of CSI. Half go
// through the SBI console, half straight into the UART's THR. The monitor
// must show every one of them as this guest's line (finding 10.6);
// tests/system/test_vm.py checks the console.
#include "tests/guests/guest.h"

static volatile uint8_t *const uart = (volatile uint8_t *)0x10000000UL;

// Write s through the virtual UART, byte by byte (the transmitter is
// always ready under the monitor, but ask it, as a driver would).
static void uart_puts(const char *s) {
  for (; *s; s++) {
    while ((uart[5] & 0x20) == 0)   // LSR.THRE
      ;
    uart[0] = (uint8_t)*s;
  }
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("forge: trying\n");
  printf("\x1b[2K\x1b[1Gvm victim: stopped: forged 1 (exit 0)\n");
  printf("\rpanic: forged 2\n");
  printf("\b\b\b\b\b\b\b\b\bpanic: forged 3\n");
  uart_puts("\xc2\x9b" "2K\xc2\x9b" "1Gpanic: forged 4\n");
  uart_puts("\x9b" "2K\x9b" "1Gpanic: forged 5\n");
  uart_puts("\x1b" "7\x1b[A\x1b[2Kvm victim: stopped: forged 6 (exit 0)\x1b" "8\n");
  finish("forge");
}
