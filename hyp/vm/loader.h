// hyp/vm/loader.h: putting a guest's kernel image into its memory.
#ifndef HYP_LOADER_H
#define HYP_LOADER_H

#include "kernel/types.h"

struct vm;

// A piece of guest-physical memory, [start, end).
struct gpa_range {
  uint64_t start, end;
};

// Load the image (an ELF file, or a flat image with the Linux RISC-V
// "Image" header) into vm's memory, set *entry to where vCPU 0 starts and
// *where to the memory the image takes, from its lowest loaded byte to
// the end of its highest segment's .bss (so that vm_create can keep the
// initrd and the device tree clear of it). Returns NULL, or a message
// saying what is wrong with the image.
const char *loader_load(struct vm *vm, const void *image, uint64_t size,
                        uint64_t *entry, struct gpa_range *where);

#endif
