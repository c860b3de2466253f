// splashos/machine.h: the machine splashos runs on, read once from the
// device tree.
//
// A library OS needs little: which harts there are (one thread runs on
// each), on which NUMA node each hart and each memory range sits, how fast
// the clock ticks, and the boot arguments. The same tree comes from
// OpenSBI on the bare machine and from the monitor under Disco; splashos
// cannot tell which, and does not need to.
#ifndef SPLASHOS_MACHINE_H
#define SPLASHOS_MACHINE_H

#include "kernel/types.h"
#include "splashos/param.h"

struct machine {
  int nharts;                   // usable harts listed under /cpus
  struct {
    uint64_t id;                // hart id (the cpu node's reg)
    int node;                   // NUMA node (numa-node-id, or 0)
  } harts[MAX_HARTS];           // in the order the tree lists them
  int nnodes;                   // highest node id seen + 1

  uint64_t timebase;            // rdtime ticks per second
  uint64_t ram_base, ram_end;   // the RAM run that holds the image
  uint64_t node_base[MAX_NODES];// where each node's memory starts (0: none)
  uint64_t node_end[MAX_NODES];
  uint64_t heap_base, heap_end; // what is left for the shared heap
  char bootargs[256];           // /chosen/bootargs, "" when absent
};

extern struct machine machine;

// Read the tree at `dtb` into `machine`. On a tree we cannot use, print
// what is wrong and return a negative number.
int machine_read(const void *dtb);

// The NUMA node of physical address pa (-1 if it is not RAM).
int machine_node_of(uint64_t pa);

#endif
