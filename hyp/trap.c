// hyp/trap.c: the monitor's own traps (see hyp/trap.h).
//
// The monitor runs with interrupts off for now, so a trap here is an
// exception caused by the monitor itself: a bug, unless we asked for it
// (the H-extension probe below). A bug gets a panic that names the cause
// and the address, so it shows up in a test log instead of as a hang.
#include "hyp/param.h"
#include "hyp/trap.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

extern char hyp_trapvec[];

// probing[h] is set while hart h runs an instruction that may trap on
// purpose; the handler then sets probe_trapped[h] instead of panicking.
static volatile bool probing[MAX_HARTS];
static volatile bool probe_trapped[MAX_HARTS];

void trap_init(void) { csr_write(stvec, (uint64_t)hyp_trapvec); }

// Names for the exception causes a monitor bug might raise.
static const char *cause_name(uint64_t cause) {
  switch (cause) {
  case EXC_INST_MISALIGNED: return "instruction address misaligned";
  case EXC_INST_ACCESS: return "instruction access fault";
  case EXC_ILLEGAL_INST: return "illegal instruction";
  case EXC_BREAKPOINT: return "breakpoint";
  case EXC_LOAD_MISALIGNED: return "load address misaligned";
  case EXC_LOAD_ACCESS: return "load access fault";
  case EXC_STORE_MISALIGNED: return "store address misaligned";
  case EXC_STORE_ACCESS: return "store access fault";
  case EXC_INST_PAGE_FAULT: return "instruction page fault";
  case EXC_LOAD_PAGE_FAULT: return "load page fault";
  case EXC_STORE_PAGE_FAULT: return "store page fault";
  default: return "unexpected trap";
  }
}

void hyp_trap(struct trapframe *tf) {
  uint64_t scause = csr_read(scause);
  uint64_t stval = csr_read(stval);
  uint64_t h = hart_id();

  if (scause == EXC_ILLEGAL_INST && probing[h]) {
    // The probe instruction trapped: note it and step over it. stval
    // holds the instruction's bits; a 32-bit one ends in 0b11.
    probe_trapped[h] = true;
    tf->x[0] += (stval & 3) == 3 || stval == 0 ? 4 : 2;
    return;
  }
  panic("%s in the monitor: scause %p sepc %p stval %p",
        cause_name(scause & ~SCAUSE_INTERRUPT), (void *)scause,
        (void *)tf->x[0], (void *)stval);
}

bool trap_probe_h_extension(void) {
  uint64_t h = hart_id();
  probe_trapped[h] = false;
  probing[h] = true;
  // The empty asm statements with a "memory" clobber are compiler
  // barriers: they keep gcc from moving the flag updates across the probe.
  asm volatile("" ::: "memory");
  (void)csr_read_num(CSR_HSTATUS);
  asm volatile("" ::: "memory");
  probing[h] = false;
  return !probe_trapped[h];
}
