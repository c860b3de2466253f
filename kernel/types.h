// kernel/types.h: the fixed-width integer types used everywhere.
//
// <stdint.h>, <stddef.h> and <stdbool.h> come with the compiler itself, even
// when it builds freestanding code (C11 section 4, "Conformance"), so the
// monitor, both guests and the host unit tests can all use them.
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Sizes that appear all over a paging system.
#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)   // 4 KiB, the base page of Sv39/Sv39x4

#define KiB (1024UL)
#define MiB (1024UL * 1024)

// Round x down/up to a multiple of a (a must be a power of two).
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + (a) - 1, (a))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
