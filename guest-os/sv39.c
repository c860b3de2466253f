// guest-os/sv39.c: page-table walking and the kernel's page table (see
// guest-os/sv39.h for the formats).
#include "guest-os/machine.h"
#include "guest-os/memlayout.h"
#include "guest-os/page.h"
#include "guest-os/sv39.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

#define MEGAPAGE  (2 * MiB)          // what a level-1 leaf maps

pte_t *kernel_root;

extern char _entry[], _text_end[], _rodata_end[], _image_end[];

// The slot for va in the table at `level` (2 = root, 1, 0), walking down
// from root and making missing tables when alloc is set. NULL when a
// table is missing (and alloc is clear or memory ran out) or a leaf is in
// the way above `level`.
static pte_t *slot(pte_t *root, uint64_t va, int level, bool alloc) {
  pte_t *table = root;
  for (int l = 2; l > level; l--) {
    pte_t *pte = &table[vpn(va, l)];
    if (*pte & PTE_V) {
      if (*pte & PTE_LEAF)
        return NULL;                 // a big page covers va already
    } else {
      uint64_t next = alloc ? page_alloc() : 0;
      if (next == 0)
        return NULL;
      *pte = pa_to_pte(next) | PTE_V;    // R=W=X=0: a pointer down
    }
    table = (pte_t *)pte_pa(*pte);
  }
  return &table[vpn(va, level)];
}

pte_t *sv39_walk(pte_t *root, uint64_t va, bool alloc) {
  return slot(root, va, 0, alloc);
}

int sv39_map_page(pte_t *root, uint64_t va, uint64_t pa, uint64_t perm) {
  pte_t *pte = slot(root, va, 0, true);
  if (pte == NULL)
    return -1;
  if (*pte & PTE_V)
    panic("sv39_map_page: va %p is mapped already", (void *)va);
  *pte = pa_to_pte(pa) | perm | PTE_A | PTE_D | PTE_V;
  return 0;
}

// Identity-map [base, end) in the kernel table with permissions perm,
// using 2 MiB leaves wherever a whole aligned one fits (fewer table
// pages: 512 MiB of RAM takes two level-1 tables instead of 257 tables).
static void kmap(uint64_t base, uint64_t end, uint64_t perm) {
  base = ALIGN_DOWN(base, PAGE_SIZE);
  end = ALIGN_UP(end, PAGE_SIZE);
  while (base < end) {
    bool big = base % MEGAPAGE == 0 && end - base >= MEGAPAGE;
    pte_t *pte = slot(kernel_root, base, big ? 1 : 0, true);
    if (pte == NULL || (*pte & PTE_V))
      panic("kmap: cannot map %p (out of memory, or mapped twice)",
            (void *)base);
    *pte = pa_to_pte(base) | perm | PTE_A | PTE_D | PTE_V;
    base += big ? MEGAPAGE : PAGE_SIZE;
  }
}

void sv39_kernel_init(void) {
  kernel_root = (pte_t *)page_alloc();
  if (kernel_root == NULL)
    panic("sv39_kernel_init: no page for the root table");

  // The image, part by part (guest-os/kernel.ld lays them out on page
  // boundaries): code may run but not change, constants may not change.
  uint64_t image_end = (uint64_t)_image_end;
  kmap((uint64_t)_entry, (uint64_t)_text_end, PTE_R | PTE_X);
  kmap((uint64_t)_text_end, (uint64_t)_rodata_end, PTE_R);
  kmap((uint64_t)_rodata_end, image_end, PTE_R | PTE_W);

  // The rest of RAM. Below the image is the firmware's (machine.c
  // reserves it): not mapped, so a stray kernel pointer there faults.
  for (int i = 0; i < machine.nram; i++) {
    uint64_t base = machine.ram[i].base, end = machine.ram[i].end;
    if (base <= (uint64_t)_entry && (uint64_t)_entry < end)
      base = image_end;
    kmap(base, end, PTE_R | PTE_W);
  }

  // The devices: the UART's registers (8 of them, spread by reg-shift),
  // every PLIC, and every virtio slot (the disk driver probes them all).
  kmap(machine.uart_base, machine.uart_base + (8UL << machine.uart_shift),
       PTE_R | PTE_W);
  for (int i = 0; i < machine.nplics; i++)
    kmap(machine.plics[i].base, machine.plics[i].base + machine.plics[i].size,
         PTE_R | PTE_W);
  for (int i = 0; i < machine.nvirtio; i++)
    kmap(machine.virtio[i].base, machine.virtio[i].base + machine.virtio[i].size,
         PTE_R | PTE_W);

  // The kernel half only: everything above lands in the process half.
  for (int i = KERNEL_ROOT_ENTRIES; i < PTES_PER_TABLE; i++)
    if (kernel_root[i] & PTE_V)
      panic("sv39_kernel_init: physical memory above %p is not supported",
            (void *)USER_BASE);
}

// The fences around the satp write (spec 4.2.1, "Supervisor Memory-
// Management Fence Instruction"): the first makes our earlier stores to
// page tables visible to the hardware walker; the second drops every
// translation cached from the old table, since we use no ASIDs.
void sv39_switch(pte_t *root) {
  asm volatile("sfence.vma zero, zero" ::: "memory");
  csr_write(satp, SATP_MODE_SV39 | ((uint64_t)root >> PAGE_SHIFT));
  asm volatile("sfence.vma zero, zero" ::: "memory");
}
