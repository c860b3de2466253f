// hyp/mem/vmid.c: the VMID allocator (see hyp/mem/vmid.h).
//
// Pure bookkeeping, no CSRs: the monitor probes the width (tlb_boot in
// hyp/mem/tlb.c) and does the flushes; the host unit test
// (tests/unit/test_vmid.c) runs this file as it is.
#include "hyp/mem/vmid.h"

void vmid_space_init(struct vmid_space *s, int bits) {
  s->bits = bits;
  s->gen = 1;
  s->next = 1;
  s->gens = 0;
}

bool vmid_update(struct vmid_space *s, struct vmid *id) {
  // BEGIN LAB 2: keep a valid VMID, or hand out the next one, rolling over
  if (s->bits == 0) {
    id->id = 0;
    id->gen = s->gen;
    return false;
  }
  if (id->gen == s->gen)
    return false;                 // still valid in this generation
  if (s->next >= (1UL << s->bits)) {
    // Out of VMIDs: a new generation. Every VMID handed out so far is
    // now invalid; their holders come back here before they next run.
    s->gen++;
    s->gens++;
    s->next = 1;
  }
  id->id = (uint16_t)s->next++;
  id->gen = s->gen;
  return true;
  // END LAB 2
  // STUB LAB 2: s->bits = 0;   // no VMIDs (correct, slow): every switch between VMs flushes
  // STUB LAB 2: *id = (struct vmid){.gen = s->gen, .id = 0};
  // STUB LAB 2: return false;
}
