// tests/guests/memhog.c: a guest that takes all the memory it was given.
//
// It writes every page of its RAM (but its own image and the device tree
// in the top 64 KiB), so the monitor must back each with a machine page,
// then reads every page back. With bootargs "hold" it then keeps all of
// it, idle, forever (a hog beside other VMs); otherwise it powers off.
// With "wait" it first waits a second (so that a hog beside it is
// there first).
// The admission tests (tests/system/test_vm.py) run it beside other VMs
// on a machine too small for all of them.
#include "kernel/fdt.h"
#include "kernel/string.h"
#include "tests/guests/guest.h"

// Write a word into every page of [from, to), then check them all.
static bool fill(uint64_t from, uint64_t to, uint64_t *pages) {
  *pages = 0;
  for (uint64_t a = from; a + 8 <= to; a += PAGE_SIZE, (*pages)++)
    *(volatile uint64_t *)a = a ^ 0xa5a5a5a5;
  for (uint64_t a = from; a + 8 <= to; a += PAGE_SIZE)
    if (*(volatile uint64_t *)a != (a ^ 0xa5a5a5a5))
      return false;
  return true;
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  struct fdt fdt;
  long err = fdt_init(&fdt, dtb, 64 * 1024);
  check("memhog-device-tree", err == 0, err);
  bool hold = false;
  const char *args;
  int len;
  if (fdt_getprop(&fdt, fdt_path(&fdt, "/chosen"), "bootargs",
                  (const void **)&args, &len) == 0) {
    hold = strcmp(args, "hold") == 0;
    if (strcmp(args, "wait") == 0) {
      uint64_t end = rdtime() + 10000000;     // 1 s at 10 MHz
      while (rdtime() < end)
        ;
    }
  }

  // Its RAM: one memory node (the VM does not span nodes).
  extern char _end[];
  uint64_t base = 0, size = 0;
  int depth = 0;
  for (int n = fdt_root(&fdt); n >= 0; n = fdt_next_node(&fdt, n, &depth))
    if (fdt_prop_has_string(&fdt, n, "device_type", "memory"))
      fdt_reg(&fdt, n, 0, &base, &size);
  uint64_t from = ALIGN_UP((uint64_t)_end, PAGE_SIZE);
  uint64_t pages = 0;
  bool ok = size > 0 && fill(from, base + size - 64 * 1024, &pages);
  printf("memhog: wrote and read back %lu pages of its %lu MiB\n", pages,
         size / (1024 * 1024));
  check("memhog-all-memory", ok, (long)pages);
  if (!hold)
    finish("memhog");
  printf("memhog: holding it\n");
  for (;;)
    wfi();
}
