// splashos/param.h: the library OS's fixed limits.
//
// Static arrays sized by these keep the boot path free of a heap.
#ifndef SPLASHOS_PARAM_H
#define SPLASHOS_PARAM_H

#define MAX_HARTS   16        // hart ids 0..15, as the monitor (hyp/param.h)
#define MAX_NODES   4         // QEMU's limit on NUMA nodes for riscv virt
#define MAX_ARGS    16        // key=value pairs in /chosen/bootargs
#define STACK_SIZE  32768     // each hart's stack, in bytes

#endif
