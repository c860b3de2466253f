// tests/guests/hostmemhog.c: a hostile guest that wants all the memory
// there is (tests/system/test_hostile.py).
//
// It writes one word to every page of its RAM (bootargs "mib=N", as in
// its configuration), so that the monitor must give it every page it was
// promised; then, with "beyond", it goes on writing past the end of its
// RAM, which must stop it with a report naming the first address there;
// with "hold=N", it keeps what it took for N seconds before it powers
// off, so that two hogs side by side both hold their memory at once.
// Beside it, a VM admitted before it must never be the one that runs out
// (issue 10, finding 2: admission must guarantee the memory of every VM
// it lets in).
#include "tests/guests/guest.h"

#define RAM 0x80000000UL
#define PAGE 4096UL

extern char _end[];

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t end = RAM + bootarg_num("mib", 4) * 1024 * 1024;
  uint64_t from = ((uint64_t)_end + PAGE - 1) & ~(PAGE - 1);
  uint64_t top = (uint64_t)dtb & ~(PAGE - 1);     // leave the device tree be
  bool beyond = bootarg_has("beyond");
  printf("hostmemhog: touching %lu MiB%s\n", (end - RAM) >> 20,
         beyond ? ", then beyond" : "");
  for (uint64_t a = RAM; a < RAM + 2 * 1024 * 1024; a += PAGE)
    *(volatile uint64_t *)a = a;
  for (uint64_t a = from; a < top; a += PAGE)
    *(volatile uint64_t *)a = a;
  printf("hostmemhog: every page of my RAM is mine\n");
  if (beyond) {
    for (uint64_t a = end; a < end + (64UL << 20); a += PAGE)
      *(volatile uint64_t *)a = a;
    printf("hostmemhog: the monitor let it through\n");
  }
  uint64_t until = rdtime() + bootarg_num("hold", 0) * 10000000;   // 10 MHz
  while (rdtime() < until)
    ;
  finish("hostmemhog");
}
