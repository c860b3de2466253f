// hyp/param.h: the monitor's fixed limits.
//
// Static arrays sized by these keep the monitor free of a heap at boot.
// Raising one costs only memory.
#ifndef HYP_PARAM_H
#define HYP_PARAM_H

#define MAX_HARTS    16      // hart ids 0..15 (tools/qemu.py's CPUS limit)
#define MAX_NODES    4       // QEMU's limit on NUMA nodes for riscv virt
#define MAX_MEMRANGES 8      // /memory nodes (one per NUMA node on QEMU)
#define MAX_RESERVED 16      // ranges no one may allocate
#define MAX_VIRTIO   8       // virtio-mmio slots
#define STACK_SIZE   16384   // each hart's monitor stack, in bytes
#define MAX_SBI_EXTS 16      // rows of the SBI dispatch table (hyp/sbi/vsbi.c)
#define MAX_VMS      8       // VMs at once (ids 1..MAX_VMS)

#endif
