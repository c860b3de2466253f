// guest-os/trapframe.h: what a trap from user mode saves.
//
// Each process has one trap frame (in its struct proc, kernel memory).
// While the process runs in user mode, sscratch holds the frame's
// address; guest-os/trapvec.S stores all 31 user registers and the pc
// there on a trap and loads them back on the way out. The frame also
// carries what the trap vector needs to become the kernel: the process's
// kernel stack and the hart id (user code may have changed tp).
//
// The offsets are shared with the assembly, so they are numbers here;
// trap.c checks them against the struct with _Static_assert.
#ifndef GUEST_OS_TRAPFRAME_H
#define GUEST_OS_TRAPFRAME_H

#define TF_X(i)       ((i) * 8)     // register xi, 1 <= i <= 31
#define TF_EPC        (32 * 8)      // user pc: where to go back to
#define TF_KERNEL_SP  (33 * 8)      // top of the process's kernel stack
#define TF_HART       (34 * 8)      // hart id to put in tp

#ifndef __ASSEMBLY__
#include "kernel/types.h"

// Register numbers in x[], from the RISC-V calling convention (psABI):
// the ones the kernel reads or writes by name.
#define REG_RA 1
#define REG_SP 2
#define REG_A0 10
#define REG_A1 11
#define REG_A7 17

struct trapframe {
  uint64_t x[32];         // x[0] unused (x0 is always 0)
  uint64_t epc;
  uint64_t kernel_sp;
  uint64_t hart;
};
#endif

#endif
