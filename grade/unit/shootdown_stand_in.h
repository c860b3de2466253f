// grade/unit/shootdown_stand_in.h: lab 2's TLB code, as the host tests
// of labs 3 and 4 stand it in: no TLB to fence, a count of the shootdowns
// asked for (the tests check that a change that takes something away
// asks for one). Included once, by the test file, after hyp/mem/pmap.c.
#ifndef GRADE_UNIT_SHOOTDOWN_STAND_IN_H
#define GRADE_UNIT_SHOOTDOWN_STAND_IN_H

#include <string.h>

#include "hyp/mem/tlb.h"

static int shootdowns;
void tlb_space_init(struct tlb_space *t) { memset(t, 0, sizeof(*t)); }
void tlb_shootdown(struct pmap *pm, uint64_t gpa) { shootdowns++; }
void hfence_gvma(uint64_t gpa) {}
void hfence_gvma_all(void) {}
void hfence_vvma_all(void) {}

#endif
