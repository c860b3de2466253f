// tests/guests/hello.c: the smallest useful guest.
//
// Boots, reads its device tree, touches its memory (so the monitor fills
// its pmap page by page), starts every other vCPU with SBI HSM, waits for
// them to stop, and powers off. The default VM configuration runs it.
#include "kernel/fdt.h"
#include "tests/guests/guest.h"

static volatile uint64_t sums[8];

// Each secondary vCPU adds up a range and stops (rt.c calls hart_stop).
void guest_hart(uint64_t hartid, uint64_t opaque) {
  uint64_t s = 0;
  for (uint64_t i = 0; i <= opaque; i++)
    s += i;
  sums[hartid] = s;
  printf("vcpu %lu: up, sum 0..%lu = %lu\n", hartid, opaque, s);
}

// Write a pattern into one page in every 16 of [from, to) and read it
// back: the monitor must give each touched page a machine page, and the
// same one every time.
static bool touch_memory(uint64_t from, uint64_t to, uint64_t *pages) {
  *pages = 0;
  for (uint64_t a = from; a + 8 <= to; a += 16 * PAGE_SIZE, (*pages)++)
    *(volatile uint64_t *)a = a ^ 0x5a5a5a5a;
  for (uint64_t a = from; a + 8 <= to; a += 16 * PAGE_SIZE)
    if (*(volatile uint64_t *)a != (a ^ 0x5a5a5a5a))
      return false;
  return true;
}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("hello from vcpu %lu, device tree at %p\n", hartid, dtb);

  struct fdt fdt;
  long err = fdt_init(&fdt, dtb, 64 * 1024);
  check("device-tree", err == 0, err);
  int ncpus = 0;
  int cpus = fdt_path(&fdt, "/cpus");
  for (int c = fdt_first_child(&fdt, cpus); c >= 0; c = fdt_next_sibling(&fdt, c))
    ncpus++;
  uint64_t base = 0, size = 0;
  fdt_reg(&fdt, fdt_path(&fdt, "/memory"), 0, &base, &size);
  printf("hello: %d vcpus, memory %p + %lu MiB\n", ncpus, (void *)base,
         size / (1024 * 1024));

  extern char _end[];
  uint64_t pages;
  bool ok = touch_memory((uint64_t)_end, base + size - 64 * 1024, &pages);
  printf("hello: touched %lu pages\n", pages);
  check("memory", ok, (long)pages);

  for (int h = 0; h < ncpus; h++)
    if ((uint64_t)h != hartid)
      check("hart-start", start_hart(h, 1000 * h) == SBI_SUCCESS, h);
  // Wait for them all to stop again.
  for (int h = 0; h < ncpus; h++)
    while ((uint64_t)h != hartid &&
           sbi_hart_get_status(h).value != SBI_HSM_STOPPED)
      ;
  for (int h = 0; h < ncpus; h++)
    if ((uint64_t)h != hartid)
      check("hart-sum", sums[h] == (uint64_t)(1000 * h) * (1000 * h + 1) / 2,
            (long)sums[h]);
  finish("hello");
}
