// hyp/cpu/trap.c: the monitor's own traps (see hyp/cpu/trap.h).
//
// The monitor runs with interrupts off for now, so a trap here is an
// exception caused by the monitor itself: a bug, unless we asked for it
// (the H-extension probe below). A bug gets a panic that names the cause
// and the address, so it shows up in a test log instead of as a hang.
#include "hyp/param.h"
#include "hyp/cpu/trap.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

extern char hyp_trapvec[];

// probing[h] is set while hart h runs an instruction that may trap on
// purpose; the handler then records the cause in probe_cause[h] instead of
// panicking.
static volatile bool probing[MAX_HARTS];
static volatile uint64_t probe_cause[MAX_HARTS];

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

  if (probing[h] && !(scause & SCAUSE_INTERRUPT)) {
    // The probed instruction trapped: note why and step over it (probed
    // instructions are 32-bit ones: csrr, hlvx.hu, hlv.d...). Cause 0,
    // "instruction address misaligned", is recorded as ~0, so that 0 can
    // keep meaning "no trap".
    probe_cause[h] = scause == 0 ? ~0UL : scause;
    tf->x[0] += 4;
    return;
  }
  panic("%s in the monitor: scause %p sepc %p stval %p",
        cause_name(scause & ~SCAUSE_INTERRUPT), (void *)scause,
        (void *)tf->x[0], (void *)stval);
}

// The empty asm statements with a "memory" clobber are compiler barriers:
// they keep gcc from moving the flag updates across the probed instruction.
void trap_probe_begin(void) {
  uint64_t h = hart_id();
  probe_cause[h] = 0;
  probing[h] = true;
  asm volatile("" ::: "memory");
}

uint64_t trap_probe_end(void) {
  uint64_t h = hart_id();
  asm volatile("" ::: "memory");
  probing[h] = false;
  return probe_cause[h];
}

bool trap_probe_h_extension(void) {
  trap_probe_begin();
  (void)csr_read_num(CSR_HSTATUS);
  return trap_probe_end() == 0;
}
