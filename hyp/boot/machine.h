// hyp/boot/machine.h: the machine the monitor runs on, as the device tree
// describes it.
//
// The monitor reads the device tree once at boot (machine_read) into this
// plain structure, and from then on asks the structure, never the tree.
// Disco ran on FLASH, a cc-NUMA machine: memory and processors grouped in
// nodes, with remote memory slower than local (Disco section 2). Here the
// device tree tells which node each hart and each memory range sits on
// (the numa-node-id property) and how far apart nodes are (/distance-map,
// 10 = local; Linux's Documentation/devicetree/bindings/numa.txt).
#ifndef HYP_MACHINE_H
#define HYP_MACHINE_H

#include "hyp/param.h"
#include "kernel/fdt.h"
#include "kernel/types.h"

// A range of physical addresses [base, base + size).
struct range {
  uint64_t base;
  uint64_t size;
  int node;            // NUMA node (memory, interrupt controller, CLINT)
  const char *what;    // for reserved ranges: whose it is
};

// Written only at boot, on the boot hart, before any other hart runs
// monitor code (machine_read, then machine_reserve from memmap_boot);
// read-only after, so every hart reads it without a lock.
struct machine {
  int nnodes;                       // NUMA nodes: 1..MAX_NODES
  int nharts;                       // harts the tree lists as usable
  uint64_t boot_hart;               // the hart OpenSBI entered us on

  // Harts, in the order the tree lists them.
  struct {
    uint64_t id;                    // hart id (the cpu node's reg)
    int node;                       // its NUMA node
  } harts[MAX_HARTS];
  int hart_node[MAX_HARTS];         // hart id -> node (-1: no such hart)

  // Memory, and what is already taken in it.
  int nmem;
  struct range mem[MAX_MEMRANGES];  // the /memory nodes
  int nreserved;
  struct range reserved[MAX_RESERVED];  // firmware, image, device tree
  uint64_t node_mem[MAX_NODES];     // bytes of RAM on each node
  uint64_t total_mem;

  // dist[a][b]: how far node b's memory is from node a's harts.
  uint32_t dist[MAX_NODES][MAX_NODES];

  // Devices the monitor will use or hand to guests.
  uint64_t timebase;                // rdtime ticks per second
  struct range uart;                // ns16550a
  // One interrupt controller per node: a PLIC, or on machines where QEMU
  // 7.2 cannot build PLICs (see tools/qemu.py) the S-mode domain of an
  // AIA APLIC. irqchip_kind says which ("plic", "aplic", or "none" when
  // the tree has neither).
  const char *irqchip_kind;
  int nirqchip;
  struct range irqchip[MAX_NODES];
  int nclint;
  struct range clint[MAX_NODES];    // one timer/IPI block per node
  int nvirtio;
  struct {
    struct range reg;
    uint32_t irq;                   // its source on the irqchip (PLIC or APLIC)
  } virtio[MAX_VIRTIO];

  // The VM bundle, if QEMU was given one with -initrd (hyp/vm/bundle.h):
  // /chosen linux,initrd-start and linux,initrd-end. size 0: none.
  struct range initrd;

  bool has_h;                       // riscv,isa lists the H-extension
  bool has_sstc;                    // riscv,isa lists Sstc
};

// The one description of this machine, filled in by machine_read().
extern struct machine machine;

// Read everything above from the device tree at `dtb`, entered on hart
// `boot_hart`. Marks as reserved what the firmware keeps (/memreserve/,
// /reserved-memory, the RAM below the monitor), the tree itself, the
// monitor image and the VM bundle.
// Returns 0, or a negative code after printing what was wrong (a tree the
// monitor cannot work with: no harts, no memory, too many nodes...).
int machine_read(const void *dtb, uint64_t boot_hart);

// Print the machine as a table, then the summary line the tests read:
//   machine: nodes=2 harts=4 mem=512MiB
void machine_print(void);

// Reserve [base, base+size) so that the page allocator skips it; `what`
// says whose it is, for the boot table.
void machine_reserve(uint64_t base, uint64_t size, const char *what);

#endif
