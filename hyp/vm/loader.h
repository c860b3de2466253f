// hyp/vm/loader.h: putting a guest's kernel image into its memory.
#ifndef HYP_LOADER_H
#define HYP_LOADER_H

#include "kernel/types.h"

struct vm;

// Load the image (an ELF file, or a flat image with the Linux RISC-V
// "Image" header) into vm's memory and set *entry to where vCPU 0 starts.
// Returns NULL, or a message saying what is wrong with the image.
const char *loader_load(struct vm *vm, const void *image, uint64_t size,
                        uint64_t *entry);

#endif
