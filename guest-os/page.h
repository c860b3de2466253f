// guest-os/page.h: the physical page allocator.
//
// Every page the kernel hands out (page tables, kernel stacks, user
// memory) is one 4 KiB page of physical RAM, named by its physical
// address, which is also its kernel virtual address (memory is
// identity-mapped, guest-os/memlayout.h).
#ifndef GUEST_OS_PAGE_H
#define GUEST_OS_PAGE_H

#include "kernel/types.h"

// Take over the free RAM that guest-os/machine.c found. Boot hart, once,
// before any page_alloc().
void page_init(void);

// A zeroed page, or 0 when memory has run out (the caller fails the
// system call; running out is never a panic).
uint64_t page_alloc(void);

// Give back a page from page_alloc(). Panics on an address that is not a
// free-RAM page boundary, or a page that is free already: that is a
// kernel bug, caught early. Under Disco-V the page's contents are gone
// once it is given back (the monitor took its machine page).
void page_free(uint64_t pa);

// Does the allocator use Disco's monitor calls (page_init found them)?
bool page_monitor_calls(void);

// Pages that page_alloc() could still hand out.
uint64_t page_free_count(void);

// Print the kernel's memory at power-off, in 4 KiB pages, for make
// bench's memory table (Disco's figure 6 counts the bare IRIX's too):
//   guest-os: memory image-pages=129 peak-pages=900 pages=300 kept=200 bcache=250
// image-pages: the kernel image (code, the embedded programs, data, bss);
// peak-pages: the most pages handed out at once (page tables, kernel
// stacks, pipes, user memory); pages: handed out now; kept: freed pages
// kept for reuse (not handed out; on the bare machine, and under the
// monitor up to keep-pages, still backed); bcache: of the pages handed
// out, the buffer cache's (guest-os/bcache.h).
void page_print_stats(void);

// Page-sized zeroing and copying, a 64-bit word at a time (kernel/string.c
// goes byte by byte, eight times slower on whole pages).
void page_zero(void *page);
void page_copy(void *dst, const void *src);

#endif
