// guest-os/machine.h: the machine, as the device tree describes it.
//
// Everything guest-os knows about its hardware comes from the device tree
// the firmware hands over in a1 at boot: how many harts, how much RAM and
// where, where the UART and the PLIC are, the boot arguments. The same
// binary therefore runs on the bare QEMU machine and in a Disco-V VM
// (where the monitor writes the tree, hyp/vm/vm_fdt.c), and never needs to
// know which. machine_read() copies out all of it at boot; nothing reads
// the tree afterwards.
#ifndef GUEST_OS_MACHINE_H
#define GUEST_OS_MACHINE_H

#include "guest-os/param.h"
#include "kernel/types.h"

#define MAX_PLICS 4          // one per NUMA node on QEMU virt
#define MAX_VIRTIO 8         // virtio-mmio slots (QEMU virt has 8)

// A range of physical addresses [base, end).
struct range {
  uint64_t base, end;
};

// One PLIC: where its registers are and which of its contexts is each
// hart's S-mode one (-1: this PLIC does not interrupt that hart).
struct plic_info {
  uint32_t phandle;             // how devices name it (interrupt-parent)
  uint64_t base, size;
  int sctx[MAX_HARTS];          // S-mode context of hart h, or -1
};

// One virtio-mmio slot ("virtio,mmio" node): a page of registers that
// may or may not have a device behind it (the driver probes it), and
// its interrupt line.
struct virtio_slot {
  uint64_t base, size;
  uint32_t irq;                 // its PLIC source number
  int plic;                     // index into plics[], or -1: no PLIC
};

struct machine {
  uint64_t timebase;            // rdtime ticks per second
  bool sstc;                    // every hart has Sstc (stimecmp)
  int nharts;
  uint32_t hart_ids[MAX_HARTS]; // the usable harts' ids

  int nram;
  struct range ram[MAX_MEMRANGES];        // device_type "memory"
  int nreserved;
  struct range reserved[MAX_RESERVED];    // RAM that is not ours to use

  uint64_t uart_base;           // ns16550a registers
  int uart_shift;               // register i is at base + (i << shift)
  uint32_t uart_irq;            // its PLIC source number
  int uart_plic;                // index into plics[], or -1: no interrupts

  int nplics;
  struct plic_info plics[MAX_PLICS];

  int nvirtio;
  struct virtio_slot virtio[MAX_VIRTIO];

  char bootargs[256];           // /chosen/bootargs, "" if none
};

extern struct machine machine;

// Read the tree at `dtb` into `machine`. Returns 0, or -1 after printing
// what was missing or malformed (the caller then powers off).
int machine_read(const void *dtb);

// Is physical address pa inside reserved memory (firmware's, the image,
// the device tree)?
bool machine_reserved(uint64_t pa);

// The number in boot argument key=N (e.g. "fscrash=2"), or dflt when the
// boot arguments have no such word or its value is not a number.
long machine_bootarg_num(const char *key, long dflt);

#endif
