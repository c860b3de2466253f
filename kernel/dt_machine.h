// kernel/dt_machine.h: the walks over a device tree that every image
// makes the same way: its harts, its memory, the memory firmware keeps,
// and what a hart's riscv,isa string says.
//
// The monitor, guest-os and splashos each keep their own picture of the
// machine (hyp/boot/machine.h, guest-os/machine.h, splashos/machine.h):
// they need different facts and treat odd trees differently (a hart id
// too large is an error for the monitor, a hart left unused for guest-os).
// What they share is how the tree is walked, and that lives here, once.
//
// Where the Devicetree Specification v0.4 defines what is walked:
//   /cpus/timebase-frequency, /cpus/cpu@N (reg, status)  spec 3.7, 3.8
//   device_type = "memory" nodes, reg                    spec 3.4
//   /reserved-memory children, /memreserve/ entries      spec 3.5, 5.3
//   numa-node-id                                         Linux numa.txt
//   riscv,isa        Linux's bindings/riscv/cpus.yaml, and the
//                    unprivileged spec's "ISA Extension Naming Conventions"
#ifndef KERNEL_DT_MACHINE_H
#define KERNEL_DT_MACHINE_H

#include "kernel/fdt.h"
#include "kernel/types.h"

// Errors of the walks below, beside the FDT_ERR_* codes of kernel/fdt.h.
#define DT_ERR_NO_CPUS   (-50)   // no /cpus node
#define DT_ERR_CPU_NOREG (-51)   // a cpu node without a reg property

// A short English description of a DT_ERR_* or FDT_ERR_* code.
const char *dt_strerror(int err);

// The NUMA node of a device-tree node: its numa-node-id, or 0 when it has
// none (a tree without NUMA information describes one node).
int dt_node_of(const struct fdt *fdt, int node);

// /cpus/timebase-frequency into *hz. 0, or FDT_ERR_NOTFOUND (or
// DT_ERR_NO_CPUS) when the tree does not give it.
int dt_timebase(const struct fdt *fdt, uint64_t *hz);

// One usable hart: a child of /cpus with device_type "cpu" whose status
// is not "disabled" (a disabled hart is one firmware will not start).
struct dt_hart {
  int node_off;              // its node in the tree
  uint64_t id;               // hart id: the cpu node's reg
  int numa;                  // its NUMA node (dt_node_of)
  const char *isa;           // its riscv,isa string, or NULL
  int isa_len;
};

// The usable harts, in the order the tree lists them. Start with
// h->node_off = -1; each call moves to the next one. Returns 1 with *h
// filled in, 0 after the last, or a negative DT_ERR_* code.
int dt_next_hart(const struct fdt *fdt, struct dt_hart *h);

// Does a riscv,isa string ("rv64imafdch_zicsr_sstc") name the single-
// letter extension c ('h')? Or the multi-letter extension ext ("sstc"),
// which comes after the letters, each such name after an underscore?
bool dt_isa_has_letter(const char *isa, int len, char c);
bool dt_isa_has_ext(const char *isa, int len, const char *ext);

// A range of physical addresses [base, base + size) on NUMA node numa.
struct dt_range {
  uint64_t base, size;
  int numa;
};

// Where a walk over several nodes' reg entries has got to. Start it
// zeroed (DT_WALK_START).
struct dt_walk {
  int node;                  // the tree node being read (-1: before any)
  int depth;
  int index;                 // its next reg entry
  int phase;                 // dt_next_reserved: which list (below)
};

// The two lists dt_next_reserved walks, in order; w->phase says which one
// the range it just returned came from.
enum { DT_RESERVED_HEADER, DT_RESERVED_NODES, DT_RESERVED_DONE };
#define DT_WALK_START {-1, 0, 0, 0}

// RAM: every reg entry of every device_type "memory" node, wherever it
// sits in the tree (QEMU puts one per NUMA node at the top level). 1 with
// *r filled in, 0 after the last.
int dt_next_memory(const struct fdt *fdt, struct dt_walk *w,
                   struct dt_range *r);

// The memory firmware keeps for itself: the /memreserve/ entries of the
// blob's header, then every reg entry of every child of /reserved-memory
// (OpenSBI lists its own memory there). 1 with *r filled in (numa -1),
// 0 after the last.
int dt_next_reserved(const struct fdt *fdt, struct dt_walk *w,
                     struct dt_range *r);

#endif
