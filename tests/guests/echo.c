// tests/guests/echo.c: a guest that reads the keyboard.
//
// Reads keys from its UART (polling the line status register) until it
// sees a newline or carriage return, prints the line back, and stops after
// the line "quit". Tests type into it through the monitor's console.
#include "tests/guests/guest.h"

static volatile uint8_t *const uart = (volatile uint8_t *)0x10000000UL;

static char getc_uart(void) {
  while ((uart[5] & 0x01) == 0)     // LSR.DR: data ready
    ;
  return (char)uart[0];
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  char line[64];
  printf("echo: ready\n");
  for (;;) {
    int n = 0;
    for (;;) {
      char c = getc_uart();
      if (c == '\r' || c == '\n')
        break;
      if (n < (int)sizeof(line) - 1)
        line[n++] = c;
    }
    line[n] = 0;
    printf("echo: got '%s'\n", line);
    if (n == 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' &&
        line[3] == 't')
      break;
  }
  finish("echo");
}
