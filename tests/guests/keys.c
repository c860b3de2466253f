// tests/guests/keys.c: a guest that is slow to read its keys.
//
// A guest that is still booting does not read its console; keys typed
// meanwhile must wait for it, all of them and in order, as they would in
// a terminal's line (finding 10.9: "ls" typed while a VM booted reached
// its shell as "s"). Twice, this guest says it is not reading, waits,
// then reads from its UART whatever was typed, until a carriage return
// or until no key has come for half a second, and checks that key i is
// 'a' + i % 26, which is what tests/system/test_vm.py types.
#include "tests/guests/guest.h"

static volatile uint8_t *const uart = (volatile uint8_t *)0x10000000UL;

#define TICKS_PER_MS 10000          // QEMU virt's 10 MHz timebase

static void wait_ms(uint64_t ms) {
  uint64_t end = rdtime() + ms * TICKS_PER_MS;
  while (rdtime() < end)
    ;
}

// Read keys until a CR, or until none has come for 500 ms; report how
// many came and whether they were the expected ones, in order.
static void read_keys(const char *round) {
  int n = 0, wrong = -1;
  char got = 0;
  uint64_t idle_until = rdtime() + 500 * TICKS_PER_MS;
  while (rdtime() < idle_until) {
    if ((uart[5] & 0x01) == 0)      // LSR.DR: data ready
      continue;
    char c = (char)uart[0];
    if (c == '\r')
      break;
    if (wrong < 0 && c != 'a' + n % 26)
      wrong = n, got = c;
    n++;
    idle_until = rdtime() + 500 * TICKS_PER_MS;
  }
  if (wrong < 0)
    printf("keys: %s: got %d keys, in order\n", round, n);
  else
    printf("keys: %s: got %d keys; key %d is '%c', want '%c'\n", round, n,
           wrong, got, 'a' + wrong % 26);
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("keys: not reading for 2 s\n");
  wait_ms(2000);
  read_keys("first");
  printf("keys: not reading again for 3 s\n");
  wait_ms(3000);
  read_keys("second");
  finish("keys");
}
