// tests/guests/hostmemhog.c: a hostile guest that wants all the memory
// there is (tests/system/test_hostile.py).
//
// It writes one word to every page of its RAM (bootargs "mib=N", as in
// its configuration), so that the monitor must give it every page it was
// promised; then, with "beyond", it goes on writing past the end of its
// RAM, which must stop it with a report naming the first address there;
// with "hold", it keeps what it took forever, so that two hogs side by
// side both hold their memory at once.
//
// With "race" it tests first touches instead: all its vCPUs (bootargs
// "vcpus=N") write, each its own word, into the same fresh pages at the
// same time, so that the monitor takes many guest-page faults on one page
// at once on different harts; every page must end up with every vCPU's
// word (a page given twice would lose some).
// Beside it, a VM admitted before it must never be the one that runs out
// (issue 10, finding 2: admission must guarantee the memory of every VM
// it lets in).
#include "tests/guests/guest.h"

#define RAM 0x80000000UL
#define PAGE 4096UL

extern char _end[];

#define RACE_PAGES 512                  // 2 MiB from RACE_FROM
#define RACE_FROM (RAM + 0x400000)

static volatile uint64_t ready, racers_done;

// vCPU `id` of n: wait for all, then write id + 1 into word id of every
// page of the race, in the same order as the others.
static void race(uint64_t id, uint64_t n) {
  __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
  while (ready < n)
    ;
  for (uint64_t p = 0; p < RACE_PAGES; p++)
    ((volatile uint64_t *)(RACE_FROM + p * PAGE))[id] = id + 1;
  __atomic_fetch_add(&racers_done, 1, __ATOMIC_SEQ_CST);
}

void guest_hart(uint64_t hartid, uint64_t opaque) { race(hartid, opaque); }

// The race: start the other vCPUs, race with them, then check every
// page for every vCPU's word, and power off.
static void first_touch_race(void) {
  uint64_t n = bootarg_num("vcpus", 1);
  for (uint64_t i = 1; i < n; i++)
    check("start", start_hart(i, n) == 0, (long)i);
  race(0, n);
  while (racers_done < n)
    ;
  uint64_t lost = 0;
  for (uint64_t p = 0; p < RACE_PAGES; p++)
    for (uint64_t i = 0; i < n; i++)
      if (((volatile uint64_t *)(RACE_FROM + p * PAGE))[i] != i + 1)
        if (lost++ == 0)
          printf("hostmemhog: page %p lost vCPU %lu's write\n",
                 (void *)(RACE_FROM + p * PAGE), i);
  printf("hostmemhog: %lu vCPUs raced on %d fresh pages\n", n, RACE_PAGES);
  check("no-write-lost", lost == 0, (long)lost);
  finish("hostmemhog");
}

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t end = RAM + bootarg_num("mib", 4) * 1024 * 1024;
  uint64_t from = ((uint64_t)_end + PAGE - 1) & ~(PAGE - 1);
  uint64_t top = (uint64_t)dtb & ~(PAGE - 1);     // leave the device tree be
  bool beyond = bootarg_has("beyond");
  if (bootarg_has("race"))
    first_touch_race();
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
  if (bootarg_has("hold")) {
    printf("hostmemhog: holding it\n");
    irqs_off();
    for (;;)
      wfi();
  }
  finish("hostmemhog");
}
