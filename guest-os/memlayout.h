// guest-os/memlayout.h: where things are, physically and virtually.
//
// Physical memory is what the device tree says (guest-os/machine.c); on
// QEMU virt, and in a Disco-V VM, it looks like this:
//
//   0x0c000000  PLIC, one per NUMA node (0x600000 apart)
//   0x10000000  UART (ns16550a)
//   0x10001000  virtio-mmio slots (used by a later step)
//   0x80000000  RAM: firmware first (OpenSBI, 2 MiB), then
//   0x80200000  this kernel (guest-os/kernel.ld), then free pages,
//               with the device tree somewhere above
//
// Every address space (Sv39, 39-bit virtual addresses, privileged spec
// 4.4) has two halves, split on the root page table's entries:
//
//   0x40_0000_0000 +------------------------------+ USER_TOP (2^38: the
//                  | heap (sbrk), grows up        |   end of Sv39's lower
//                  +------------------------------+   half)
//                  | user stack (USER_STACK_PAGES)|
//                  | guard page, never mapped     |
//                  | program: text, rodata, data, |
//                  |   bss, as its ELF file says  |
//   0x20_0000_0000 +------------------------------+ USER_BASE: root
//                  |                              |   entries 128..255
//                  | (nothing)                    |
//                  | RAM, identity-mapped         |
//                  | devices, identity-mapped     |
//   0              +------------------------------+ root entries 0..127
//
// The kernel half (root entries 0..127) maps physical memory and the
// devices at their own addresses ("identity"), without the U bit, and is
// the same in every address space: each process's root page table starts
// as a copy of those 128 entries of the kernel's, which point at the same
// second-level tables. So the kernel's code, data and stacks sit at the
// same addresses whichever page table is in satp, and a trap from user
// mode can land in kernel code directly, with no "trampoline" page and
// no satp switch on the way in (guest-os/trapvec.S). Identity mapping
// also keeps SBI calls simple: DBCN takes physical addresses, and ours
// are physical.
//
// The user half (root entries 128..255) is the process's own. The upper
// half of Sv39 (addresses from 0xffff_ffc0_0000_0000) is not used.
#ifndef GUEST_OS_MEMLAYOUT_H
#define GUEST_OS_MEMLAYOUT_H

#define USER_BASE 0x2000000000UL     // first user address
#define USER_TOP  0x4000000000UL     // one past the last user address

// The root page table's entries that belong to the kernel half.
#define KERNEL_ROOT_ENTRIES 128

#endif
