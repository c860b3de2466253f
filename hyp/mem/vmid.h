// hyp/mem/vmid.h: VMIDs, with generations (lab 2).
//
// The H-extension tags every cached G-stage and VS-stage translation with
// the VMID that hgatp held when it was made (privileged spec 8.2.10,
// "hgatp"; 8.5 and the HFENCE instructions of 8.3.2). Two VMs with
// different VMIDs can share a hart's TLB without a flush; two with the
// same VMID cannot. The VMID field has at most 14 bits, and an
// implementation may have fewer (even none), so VMIDs are handed out the
// way KVM's RISC-V port does:
//
//   - VMIDs are numbered 1 .. 2^bits - 1 (0 is kept for "none yet"), and
//     given out in order, one per VM, never twice in one *generation*;
//   - when they run out, a new generation starts: every VM's VMID becomes
//     invalid, each VM takes a new one the next time one of its vCPUs
//     enters the guest, and every hart flushes all its G-stage and VS-stage
//     translations once before it runs any VM with a VMID of the new
//     generation (sync_vmid in hyp/mem/tlb.c does that flush).
//
// With 0 bits there are no VMIDs: every VM runs with VMID 0, and a hart
// must flush both stages whenever it switches from one VM to another.
#ifndef HYP_MEM_VMID_H
#define HYP_MEM_VMID_H

#include "kernel/types.h"

#define VMID_MAX_BITS 14          // hgatp.VMID: bits 57..44 (spec 8.2.10)

// The VMID of one address space (one pmap).
struct vmid {
  uint64_t gen;        // the generation `id` belongs to; 0 = never had one
  uint16_t id;         // the VMID, valid while gen == the current generation
};

// The machine's VMID space.
struct vmid_space {
  int bits;            // usable VMID bits (0 = no VMIDs)
  uint64_t gen;        // the current generation, from 1
  uint64_t next;       // the next VMID to hand out in this generation
  uint64_t gens;       // generations started after the first (counter)
};

// Start the space with `bits` usable VMID bits (0..VMID_MAX_BITS):
// generation 1, nothing handed out.
void vmid_space_init(struct vmid_space *s, int bits);

// Give `id` a VMID of the current generation if it does not hold one,
// starting a new generation when the current one has none left. Returns
// true if id changed (a new VMID, perhaps of a new generation), false if
// it was still valid. With 0 bits, every VM keeps VMID 0 and this always
// returns false. The caller serializes calls (hyp/mem/tlb.c's vmid lock).
bool vmid_update(struct vmid_space *s, struct vmid *id);

#endif
