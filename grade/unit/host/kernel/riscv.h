// grade/unit/host/kernel/riscv.h: the host graders' stand-in for
// kernel/riscv.h.
//
// The lab graders compile monitor files such as hyp/mem/pmap.c with the host
// compiler (grade/gradelib.py puts this folder first on the include path),
// so the real header's inline RISC-V assembly must not come along. This
// one declares only what those files use; the test program defines it, and
// so can see, for instance, which fences the code under test asked for.
// When a graded file starts using more of kernel/riscv.h, add it here.
#ifndef KERNEL_RISCV_H
#define KERNEL_RISCV_H

#include "kernel/types.h"

// hgatp's fields, as in kernel/riscv.h (privileged spec 8.2.10).
#define HGATP_MODE_SV39X4 (8UL << 60)
#define HGATP_VMID_SHIFT  44

void hfence_gvma(uint64_t gpa);
void hfence_gvma_all(void);
void hfence_vvma_all(void);

#endif
