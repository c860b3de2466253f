// hyp/mem/memmap_boot.c: build the memmap from the machine description.
//
// The memmap needs one record per page of RAM (hyp/mem/memmap.h), about 1% of
// memory, and there is no allocator yet to get that memory from: the
// allocator is what we are building. So the records of each RAM range are
// placed inside that range itself, in its first stretch that nothing else
// occupies, and that stretch is then reserved like firmware memory.
// Keeping a node's records on the node itself means the monitor reads
// local memory when it looks up a local page (Linux does the same).
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/string.h"

// Does [base, base + size) overlap reserved range r?
static bool overlaps(uint64_t base, uint64_t size, const struct range *r) {
  return base < r->base + r->size && r->base < base + size;
}

// The lowest page-aligned address in `mem` where `size` bytes fit without
// touching a reserved range, or 0 if there is none. Each time the
// candidate hits a reserved range, move past that range and look again.
static uint64_t find_room(const struct range *mem, uint64_t size) {
  uint64_t base = mem->base;
  for (int tries = 0; tries <= machine.nreserved; tries++) {
    if (base + size > mem->base + mem->size)
      return 0;
    int hit = -1;
    for (int i = 0; i < machine.nreserved && hit < 0; i++)
      if (overlaps(base, size, &machine.reserved[i]))
        hit = i;
    if (hit < 0)
      return base;
    struct range *r = &machine.reserved[hit];
    base = ALIGN_UP(r->base + r->size, PAGE_SIZE);
  }
  return 0;
}

void memmap_boot(void) {
  memmap_init(machine.nnodes, machine.dist);

  for (int i = 0; i < machine.nmem; i++) {
    const struct range *mem = &machine.mem[i];
    uint64_t bytes = mem->size / PAGE_SIZE * sizeof(struct memmap_entry);
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    uint64_t at = find_room(mem, bytes);
    if (at == 0)
      panic("memmap_boot: no room for the %lu-byte memmap of range %p",
            bytes, (void *)mem->base);
    // Reserve it at once, so the next range's search cannot pick it, and
    // so that memmap_reserve below marks these pages too.
    machine_reserve(at, bytes, "memmap records");
    if (memmap_add_range(mem->base, mem->size, mem->node,
                         (struct memmap_entry *)at) < 0)
      panic("memmap_boot: cannot add RAM range %p", (void *)mem->base);
  }

  for (int i = 0; i < machine.nreserved; i++)
    memmap_reserve(machine.reserved[i].base, machine.reserved[i].size);
  memmap_ready();
}
