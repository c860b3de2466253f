// tests/guests/hostmem.c: a hostile guest that touches memory it does not
// have (tests/system/test_hostile.py).
//
// bootargs "addr=<hex> op=<read|write|fetch|amo|walk>": one access at a
// guest-physical address no VM has memory at (no paging: guest-virtual is
// guest-physical), or, with "walk", a load through a page table whose
// root is at that address (the hardware's page walk is what touches it).
// The addresses the suite picks: nothing there at all, holes between
// QEMU's devices, devices of the machine the VM does not have (CLINT,
// the other virtio slots), the machine's own RAM beyond the VM's (where
// the monitor and the other VMs live, as machine addresses), and past
// what Sv39x4 can name.
//
// The monitor must stop this VM with a report that names the address, or
// let the access do what real hardware would do to this VM alone; never
// touch anything else. "hostmem: the monitor let it through" means the
// access came back: the test decides whether that was right.
#include "kernel/string.h"
#include "tests/guests/guest.h"

#define SATP_SV39 (8UL << 60)
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)

static uint64_t table[512] __attribute__((aligned(4096)));

void guest_hart(uint64_t hartid, uint64_t opaque) {}

// A 4-byte load from virtual address 0x1000 with Sv39 paging on: our root table
// maps our own gigabyte of RAM one to one (so that the code goes on
// running), and sends virtual gigabyte 0 to a next-level table at
// `next`, which the hardware's walk then reads (privileged spec 4.3.2).
static uint64_t walk_through(uint64_t next) {
  table[2] = (0x80000000UL >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X |
             PTE_A | PTE_D;
  table[0] = (next >> 12) << 10 | PTE_V;        // a pointer: no R, W, X
  uint64_t v, root = (uint64_t)table, va = 0x1000;
  asm volatile("csrw satp, %1\n"
               "sfence.vma\n"
               "lw %0, 0(%2)\n"
               "csrw satp, zero\n"
               "sfence.vma\n"
               : "=&r"(v) : "r"(SATP_SV39 | root >> 12), "r"(va) : "memory");
  return v;
}

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t addr = bootarg_num("addr", 0);
  char op[8] = "read";
  bootarg_str("op", op, sizeof(op));
  printf("hostmem: %s at %p\n", op, (void *)addr);
  volatile uint64_t *p = (volatile uint64_t *)addr;
  uint64_t v = 0;
  if (strcmp(op, "read") == 0) {
    v = *p;
  } else if (strcmp(op, "write") == 0) {
    *p = 0x686f73746d656d21UL;
  } else if (strcmp(op, "fetch") == 0) {
    ((void (*)(void))addr)();
  } else if (strcmp(op, "amo") == 0) {
    asm volatile("amoadd.d %0, %2, (%1)" : "=r"(v) : "r"(addr), "r"(1UL) : "memory");
  } else if (strcmp(op, "walk") == 0) {
    v = walk_through(addr);
  } else {
    printf("hostmem: unknown op '%s'\n", op);
    checks_failed++;
    finish("hostmem");
  }
  printf("hostmem: the monitor let it through (%lx)\n", v);
  finish("hostmem");
}
