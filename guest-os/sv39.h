// guest-os/sv39.h: Sv39 page tables (privileged spec 4.4, "Sv39:
// Page-Based 39-bit Virtual-Memory System").
//
// A virtual address has 39 meaningful bits; bits 63..39 must all equal
// bit 38, or the access faults. Three levels of tables, each one 4 KiB
// page of 512 eight-byte entries, translate it:
//
//    38        30 29        21 20        12 11                0
//   +------------+------------+------------+------------------+
//   | VPN[2] (9) | VPN[1] (9) | VPN[0] (9) |   offset (12)    |
//   +------------+------------+------------+------------------+
//     index into   index into   index into   byte in the page
//     the root     level 1      level 0
//
// Each entry (PTE) is
//
//    63   54 53                          10 9  8 7 6 5 4 3 2 1 0
//   +-------+------------------------------+----+-+-+-+-+-+-+-+-+
//   |   0   | PPN: physical page number    |RSW |D|A|G|U|X|W|R|V|
//   +-------+------------------------------+----+-+-+-+-+-+-+-+-+
//
//   V  valid; with R = W = X = 0 the PPN is the next-level table
//   R W X  read, write, execute: any of them makes the entry a leaf
//          (a leaf in the root maps 1 GiB, in level 1 maps 2 MiB)
//   U  user mode may use it (and S-mode may not, unless sstatus.SUM)
//   G  global: in every address space (we use no ASIDs, so unused)
//   A D  accessed, dirty. Hardware may set them or may fault when they
//        are clear (spec 4.3.1, "Svade"); we set both on every leaf, so
//        neither happens.
//
// satp, the register that names the root (spec 4.1.11):
//
//    63  60 59            44 43                                0
//   +------+----------------+-----------------------------------+
//   | MODE |  ASID (0)      |  PPN of the root table            |
//   +------+----------------+-----------------------------------+
//   MODE 8 = Sv39.
#ifndef GUEST_OS_SV39_H
#define GUEST_OS_SV39_H

#include "kernel/types.h"

typedef uint64_t pte_t;

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)

#define PTES_PER_TABLE 512

// A PTE's physical address, and the PTE bits for a physical address.
static inline uint64_t pte_pa(pte_t pte) { return (pte >> 10) << PAGE_SHIFT; }
static inline pte_t pa_to_pte(uint64_t pa) { return (pa >> PAGE_SHIFT) << 10; }

// The index into a level-`level` table (2 = root) for virtual address va.
static inline int vpn(uint64_t va, int level) {
  return (int)((va >> (PAGE_SHIFT + 9 * level)) & 511);
}

// The kernel's own page table: the kernel half that every address space
// shares (guest-os/memlayout.h), and nothing in the user half.
extern pte_t *kernel_root;

// Build kernel_root: identity maps of the kernel image (text R-X, rodata
// R--, the rest RW-), of all free RAM (RW-) and of the devices (RW-).
// Boot hart, once, after page_init(). Panics if memory runs out, since
// the kernel cannot run without it.
void sv39_kernel_init(void);

// The entry for va in the level-0 table under root, or NULL when the
// walk meets a missing table (alloc = false) or cannot get a page for one
// (alloc = true: missing tables are made, zeroed). Never returns the slot
// of a larger leaf: a 2 MiB or 1 GiB leaf on the way is NULL too.
pte_t *sv39_walk(pte_t *root, uint64_t va, bool alloc);

// Map the 4 KiB page at va to pa with permission bits `perm` (some of
// R W X U), making tables as needed. Returns 0, or -1 when memory ran
// out. Panics if va is mapped already: nobody should map over a mapping.
int sv39_map_page(pte_t *root, uint64_t va, uint64_t pa, uint64_t perm);

// Load satp with root and forget every cached translation on this hart.
void sv39_switch(pte_t *root);

#endif
