// guest-os/balloc.h: allocating disk blocks, with the free bitmap.
#ifndef GUEST_OS_BALLOC_H
#define GUEST_OS_BALLOC_H

#include "kernel/types.h"

// A free data block, now marked in use, with zeroed contents (both
// changes logged): its number, or 0 when the disk is full. In a
// transaction.
uint32_t block_alloc(void);

// Mark block b free again. In a transaction. Freeing a free block is a
// kernel bug: panic.
void block_free(uint32_t b);

// Blocks free now (a scan of the bitmap), for the boot message.
uint32_t blocks_free(void);

#endif
