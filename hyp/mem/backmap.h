// hyp/mem/backmap.h: back-mappings, from a machine page to everyone who maps it.
//
// The pmap answers "which machine page backs guest page gpa of VM v?".
// Moving, replicating or reclaiming a machine page needs the opposite
// question: "who maps this machine page?", so that every such mapping can
// be changed and its TLB entries shot down. Disco keeps exactly this list
// in its memmap entries (Disco 4.2.3: "the memmap ... contains a list of
// the virtual machines using the page and the virtual addresses used to
// access them"). Ours hangs off struct memmap_entry's backmaps field.
#ifndef HYP_BACKMAP_H
#define HYP_BACKMAP_H

#include "hyp/mem/memmap.h"

struct backmap {
  struct backmap *next;   // the next mapping of the same machine page
  uint16_t vm;            // the VM's id
  uint64_t gpa;           // the guest-physical page address it maps
};

// The records' pages come from this node, owned by OWNER_BACKMAP; pages
// once carved into records stay records.
#define BACKMAP_NODE 0

// How many machine pages hold `records` records: what a VM that can map
// that many guest pages adds to OWNER_BACKMAP's reservation at admission
// (hyp/vm/vm.c). The pages are shared by all VMs, and a reservation is a
// count, so the sum over the VMs always covers the records in use.
uint64_t backmap_pages_for(uint64_t records);

// Record that VM `vm` maps machine page e at guest-physical page gpa.
// Returns 0, or -1 when the monitor is out of memory for records.
int memmap_backmap_add(struct memmap_entry *e, uint16_t vm, uint64_t gpa);

// Forget that mapping. Returns 0, or -1 if there was no such mapping.
int memmap_backmap_remove(struct memmap_entry *e, uint16_t vm, uint64_t gpa);

// The first mapping of machine page e: its VM in *vm and guest page in
// *gpa. Returns 0, or -1 when e has no mapping.
int memmap_backmap_first(struct memmap_entry *e, uint16_t *vm, uint64_t *gpa);

// How many mappings machine page e has.
int memmap_backmap_count(struct memmap_entry *e);

#endif
