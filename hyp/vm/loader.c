// hyp/vm/loader.c: load a guest image (see hyp/vm/loader.h).
//
// Two formats, both the ones QEMU's -kernel takes:
//  - ELF64 for RISC-V (System V ABI; ELF spec "Program Header"): every
//    PT_LOAD segment is copied to its physical address p_paddr, and the
//    guest starts at e_entry. Our own guests (tests/guests, splashos,
//    guest-os) are such files.
//  - a flat "Image" with the Linux RISC-V boot header (Linux
//    Documentation/riscv/boot-image-header.rst): magic "RSC\x05" at byte
//    56, image_size at byte 16. It goes at RAM base + 2 MiB, where OpenSBI
//    would put it, and starts at its first byte.
// The image is untrusted input like any other: every offset and size is
// checked against the file and against the VM's RAM.
//
// VMs booted from one image share its pages (lab 3, Disco 4.2.5: the
// kernel text of eight IRIX VMs was one copy): every whole guest page the
// image fills is mapped read-only from one shared copy of its bytes
// (blockcache_image_page), not copied; a VM that writes to such a page
// (its .data) gets a private copy then (pmap_cow). The rest is copied.
#include "hyp/mem/blockcache.h"
#include "hyp/mem/memmap.h"
#include "hyp/vm/loader.h"
#include "hyp/vm/vm.h"
#include "kernel/string.h"

// Little-endian reads (ELF files for RISC-V are little-endian, as is the
// monitor, but the image may sit at any alignment: read bytes).
static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

#define EM_RISCV 243
#define PT_LOAD  1

// Write `len` zero bytes at gpa (for .bss, which the file does not hold).
static int zero_guest(struct vm *vm, uint64_t gpa, uint64_t len) {
  static const uint8_t zeros[256];
  while (len > 0) {
    uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
    if (vm_copy_to_guest(vm, gpa, zeros, n) < 0)
      return -1;
    gpa += n, len -= n;
  }
  return 0;
}

// Put the n bytes at src into the guest at gpa: whole, page-aligned
// guest pages mapped shared where possible, the rest copied. Returns 0,
// or -1 if some byte is outside the VM's RAM.
static int load_bytes(struct vm *vm, uint64_t gpa, const uint8_t *src, uint64_t n) {
  struct pmap *pm = &vm->pmap;
  if (n == 0)                         // still refused outside RAM, as a copy is
    return vm_copy_to_guest(vm, gpa, src, 0);
  while (n > 0) {
    uint64_t chunk = PAGE_SIZE - gpa % PAGE_SIZE;
    if (chunk > n)
      chunk = n;
    uint64_t pa = chunk == PAGE_SIZE && pmap_is_ram(pm, gpa)
                      ? blockcache_image_page(src, pmap_page_node(pm, gpa)) : 0;
    if (pa != 0 && pmap_share(pm, gpa, pa) < 0) {
      memmap_free(pa);                // not mapped (lab 3's handout): copy
      pa = 0;
    }
    if (pa == 0 && vm_copy_to_guest(vm, gpa, src, chunk) < 0)
      return -1;
    gpa += chunk, src += chunk, n -= chunk;
  }
  return 0;
}

static const char *load_elf(struct vm *vm, const uint8_t *f, uint64_t size,
                            uint64_t *entry, struct gpa_range *where) {
  // The ELF header: class 2 = 64-bit, data 1 = little-endian.
  if (size < 64 || f[4] != 2 || f[5] != 1)
    return "not a 64-bit little-endian ELF file";
  if (le(f + 18, 2) != EM_RISCV)
    return "ELF file is not for RISC-V";
  uint64_t phoff = le(f + 32, 8), phentsize = le(f + 54, 2);
  uint64_t phnum = le(f + 56, 2);
  if (phentsize < 56 || phoff > size || phnum > (size - phoff) / phentsize)
    return "ELF program headers run past the end of the file";

  int loaded = 0;
  where->start = ~0UL;
  where->end = 0;
  for (uint64_t i = 0; i < phnum; i++) {
    const uint8_t *ph = f + phoff + i * phentsize;
    if (le(ph, 4) != PT_LOAD)
      continue;
    uint64_t off = le(ph + 8, 8), paddr = le(ph + 24, 8);
    uint64_t filesz = le(ph + 32, 8), memsz = le(ph + 40, 8);
    if (off > size || filesz > size - off || filesz > memsz)
      return "an ELF segment runs past the end of the file";
    if (load_bytes(vm, paddr, f + off, filesz) < 0 ||
        zero_guest(vm, paddr + filesz, memsz - filesz) < 0)
      return "an ELF segment lies outside the VM's RAM";
    // Inside RAM (checked just above), so paddr + memsz cannot wrap.
    if (memsz > 0 && paddr < where->start)
      where->start = paddr;
    if (memsz > 0 && paddr + memsz > where->end)
      where->end = paddr + memsz;
    loaded++;
  }
  if (loaded == 0 || where->end == 0)
    return "ELF file has nothing to load";
  *entry = le(f + 24, 8);
  if (!pmap_is_ram(&vm->pmap, *entry))
    return "ELF entry point is outside the VM's RAM";
  return NULL;
}

static const char *load_flat(struct vm *vm, const uint8_t *f, uint64_t size,
                             uint64_t *entry, struct gpa_range *where) {
  uint64_t at = vm->pmap.ram_base + GUEST_KERNEL_OFFSET;
  uint64_t image_size = le(f + 16, 8);    // includes .bss
  if (image_size < size)
    image_size = size;
  if (load_bytes(vm, at, f, size) < 0 ||
      zero_guest(vm, at + size, image_size - size) < 0)
    return "the image does not fit in the VM's RAM";
  *entry = at;
  where->start = at;
  where->end = at + image_size;
  return NULL;
}

const char *loader_load(struct vm *vm, const void *image, uint64_t size,
                        uint64_t *entry, struct gpa_range *where) {
  const uint8_t *f = image;
  if (size >= 4 && memcmp(f, "\x7f" "ELF", 4) == 0)
    return load_elf(vm, f, size, entry, where);
  if (size >= 64 && memcmp(f + 56, "RSC\x05", 4) == 0)
    return load_flat(vm, f, size, entry, where);
  return "neither an ELF file nor a RISC-V Image";
}
