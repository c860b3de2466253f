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
  printf("hello: %d vcpus\n", ncpus);

  // An initrd, if the monitor gave us one: print its first line (before
  // touching memory, which would overwrite it).
  int chosen = fdt_path(&fdt, "/chosen");
  const uint8_t *p;
  int len;
  if (fdt_getprop(&fdt, chosen, "linux,initrd-start", (const void **)&p, &len) == 0 &&
      len == 8) {
    const char *rd = (const char *)(((uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
        (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 |
        (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7]));
    char line[64];
    int i = 0;
    while (i < 63 && rd[i] != '\n' && rd[i] != 0) {
      line[i] = rd[i];
      i++;
    }
    line[i] = 0;
    printf("hello: initrd says '%s'\n", line);
  }

  // Every memory node, with its NUMA node if the VM spans nodes; touch
  // each (but not the device tree, in the top 64 KiB of RAM).
  extern char _end[];
  uint64_t pages = 0, top = 0;
  bool ok = true;
  int depth = 0;
  for (int n = fdt_root(&fdt); n >= 0; n = fdt_next_node(&fdt, n, &depth))
    if (fdt_prop_has_string(&fdt, n, "device_type", "memory")) {
      uint64_t base, size;
      fdt_reg(&fdt, n, 0, &base, &size);
      if (base + size > top)
        top = base + size;
    }
  for (int n = fdt_root(&fdt); n >= 0; n = fdt_next_node(&fdt, n, &depth)) {
    if (!fdt_prop_has_string(&fdt, n, "device_type", "memory"))
      continue;
    uint64_t base = 0, size = 0, touched;
    fdt_reg(&fdt, n, 0, &base, &size);
    printf("hello: memory %p + %lu MiB, numa node %d\n", (void *)base,
           size / (1024 * 1024), fdt_numa_node(&fdt, n));
    uint64_t from = base < (uint64_t)_end ? (uint64_t)_end : base;
    uint64_t to = base + size == top ? top - 64 * 1024 : base + size;
    ok &= touch_memory(from, to, &touched);
    pages += touched;
  }
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
