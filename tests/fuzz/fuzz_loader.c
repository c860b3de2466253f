// tests/fuzz/fuzz_loader.c: fuzz the guest image loader, hyp/vm/loader.c.
//
// What it proves: a guest's image comes out of the bundle, so it can be
// any bytes, and hyp/vm/loader.h promises that a bad one gets a message,
// never a write outside the VM's RAM nor a read outside the file. The
// input is the image; the VM has 3 MiB of RAM at 0x80000000 (a fake
// guest memory that, like vm_copy_to_guest, refuses any byte outside it,
// and which is all of the target's writable state). loader_load either
// says what is wrong, or succeeds, and then
//   - the entry point is in RAM: e_entry for an ELF file, RAM + 2 MiB
//     for a flat Image;
//   - RAM holds exactly what the format says: each PT_LOAD segment's
//     file bytes at its p_paddr and zeros up to its p_memsz, in header
//     order; a flat image's bytes at RAM + 2 MiB and zeros up to its
//     header's image_size; every other byte is untouched.
#include <stdlib.h>
#include <string.h>

#include "hyp/vm/loader.h"
#include "hyp/mem/pmap.h"
#include "hyp/vm/vm.h"
#include "tests/fuzz/fuzz.h"

#define RAM_BASE 0x80000000UL
#define RAM_SIZE (3UL << 20)
#define UNTOUCHED 0xa5          // what RAM holds before the load

static struct vm vm;            // only vm.pmap's RAM range is used
static uint8_t ram[RAM_SIZE], want[RAM_SIZE];
static uint64_t lo, hi;         // the bytes [lo, hi) of ram and want may have been written

bool pmap_is_ram(struct pmap *pm, uint64_t gpa) {
  return gpa >= pm->ram_base && gpa - pm->ram_base < pm->ram_size;
}

// Lab 3's shared image pages (hyp/mem/blockcache.h): none here, so the
// loader copies every byte, and the checks below see them all in ram[].
uint64_t blockcache_image_page(const void *bytes, int node) {
  (void)bytes, (void)node;
  return 0;
}

int pmap_page_node(struct pmap *pm, uint64_t gpa) {
  (void)pm, (void)gpa;
  return 0;
}

int pmap_share(struct pmap *pm, uint64_t gpa, uint64_t pa) {
  (void)pm, (void)gpa, (void)pa;
  return -1;
}

void memmap_free(uint64_t pa) { (void)pa; }

static bool in_ram(uint64_t gpa, uint64_t len) {
  return gpa >= RAM_BASE && gpa - RAM_BASE <= RAM_SIZE && len <= RAM_SIZE - (gpa - RAM_BASE);
}

int vm_copy_to_guest(struct vm *v, uint64_t gpa, const void *src, uint64_t len) {
  if (!in_ram(gpa, len))
    return -1;
  uint64_t at = gpa - RAM_BASE;
  memcpy(ram + at, src, len);
  if (len > 0) {
    lo = at < lo ? at : lo;
    hi = at + len > hi ? at + len : hi;
  }
  return 0;
}

int vm_copy_from_guest(struct vm *v, void *dst, uint64_t gpa, uint64_t len) {
  if (!in_ram(gpa, len))
    return -1;
  memcpy(dst, ram + (gpa - RAM_BASE), len);
  return 0;
}

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

// Put len bytes (zeros if src is NULL) into want at gpa, which must be RAM.
static void expect(uint64_t gpa, const uint8_t *src, uint64_t len) {
  FUZZ_CHECK(in_ram(gpa, len), "accepted a write of %lu bytes at %#lx", len, gpa);
  uint64_t at = gpa - RAM_BASE;
  if (src != NULL)
    memcpy(want + at, src, len);
  else
    memset(want + at, 0, len);
  if (len > 0) {
    lo = at < lo ? at : lo;
    hi = at + len > hi ? at + len : hi;
  }
}

// What an accepted ELF file must have left in RAM (the ELF spec's
// program headers, as hyp/vm/loader.c reads them).
static void expect_elf(const uint8_t *f, size_t size, uint64_t entry) {
  FUZZ_CHECK(entry == le(f + 24, 8), "entry %#lx, e_entry %#lx", entry, le(f + 24, 8));
  uint64_t phoff = le(f + 32, 8), phentsize = le(f + 54, 2), phnum = le(f + 56, 2);
  for (uint64_t i = 0; i < phnum; i++) {
    const uint8_t *ph = f + phoff + i * phentsize;
    if (le(ph, 4) != 1)
      continue;                                   // not PT_LOAD
    uint64_t off = le(ph + 8, 8), paddr = le(ph + 24, 8);
    uint64_t filesz = le(ph + 32, 8), memsz = le(ph + 40, 8);
    FUZZ_CHECK(off <= size && filesz <= size - off && filesz <= memsz,
               "accepted segment %lu: offset %lu, %lu of %lu bytes, file of %zu", i, off,
               filesz, memsz, size);
    expect(paddr, f + off, filesz);
    expect(paddr + filesz, NULL, memsz - filesz);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) {
    memset(ram, UNTOUCHED, RAM_SIZE);
    memset(want, UNTOUCHED, RAM_SIZE);
    ready = true;
  }
  vm.pmap.ram_base = RAM_BASE;
  vm.pmap.ram_size = RAM_SIZE;
  lo = RAM_SIZE, hi = 0;
  uint64_t entry = 0xdead;
  struct gpa_range where = {0, 0};
  const char *err = loader_load(&vm, data, size, &entry, &where);
  if (err != NULL) {
    FUZZ_CHECK(err[0] != 0, "an empty message");
  } else {
    FUZZ_CHECK(pmap_is_ram(&vm.pmap, entry), "entry %#lx is outside RAM", entry);
    // The extent vm_create keeps the initrd and device tree clear of:
    // inside RAM, and around every byte the loader wrote.
    FUZZ_CHECK(RAM_BASE <= where.start && where.start <= where.end &&
               where.end <= RAM_BASE + RAM_SIZE,
               "image extent [%#lx, %#lx) is not inside RAM", where.start, where.end);
    FUZZ_CHECK(lo >= hi || (RAM_BASE + lo >= where.start && RAM_BASE + hi <= where.end),
               "the loader wrote [%#lx, %#lx), outside the extent [%#lx, %#lx) it gave",
               RAM_BASE + lo, RAM_BASE + hi, where.start, where.end);
    if (size >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0) {
      expect_elf(data, size, entry);
    } else {
      FUZZ_CHECK(size >= 64 && entry == RAM_BASE + (2 << 20), "flat image entry %#lx", entry);
      uint64_t image_size = le(data + 16, 8);
      expect(entry, data, size);
      if (image_size > size)
        expect(entry + size, NULL, image_size - size);
    }
    // Outside [lo, hi) neither was written: both are still UNTOUCHED.
    if (lo < hi && memcmp(ram + lo, want + lo, hi - lo) != 0) {
      uint64_t i = lo;
      while (ram[i] == want[i])
        i++;
      FUZZ_CHECK(false, "RAM + %#lx holds %#x, the image says %#x", i, ram[i], want[i]);
    }
  }
  if (lo < hi) {                // back to UNTOUCHED for the next input
    memset(ram + lo, UNTOUCHED, hi - lo);
    memset(want + lo, UNTOUCHED, hi - lo);
  }
  return 0;
}
