// hyp/cpu/trap.c: the monitor's own traps (see hyp/cpu/trap.h).
//
// The monitor never sets sstatus.SIE, so no interrupt traps while it
// runs (interrupts reach it only while a guest runs, through
// guest_trapvec in hyp/cpu/switch.S; its WFI wakes without taking one).
// A trap here is an exception caused by the monitor itself: a bug, unless
// we asked for it (trap_probe_begin, below). A bug gets a panic that names the cause
// and the address, so it shows up in a test log instead of as a hang.
#include "hyp/param.h"
#include "hyp/cpu/trap.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

extern char hyp_trapvec[];

// probing[h] is set while hart h runs an instruction that may trap on
// purpose; the handler then records the cause in probe_cause[h] instead of
// panicking. Each hart uses only its own entries, with no lock.
static volatile bool probing[MAX_HARTS];
static volatile uint64_t probe_cause[MAX_HARTS];
static volatile uint64_t probe_gpa[MAX_HARTS];   // a guest-page fault's address

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
    // instructions are 32-bit ones: the csrr of hstatus here, hlvx.hu in
    // hyp/cpu/vtrap.c). Cause 0, "instruction address misaligned", is
    // recorded as ~0, so that 0 can keep meaning "no trap".
    probe_cause[h] = scause == 0 ? ~0UL : scause;
    // A guest-page fault (of an HLVX): htval holds the guest-physical
    // address shifted right by 2, stval the low bits (privileged spec
    // 8.2.8). Read only then: without the H-extension (the probe of
    // trap_probe_h_extension) htval does not exist.
    if (scause == EXC_INST_GUEST_PAGE_FAULT || scause == EXC_LOAD_GUEST_PAGE_FAULT ||
        scause == EXC_STORE_GUEST_PAGE_FAULT)
      probe_gpa[h] = csr_read(htval) << 2 | (stval & 3);
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

uint64_t trap_probe_gpa(void) { return probe_gpa[hart_id()]; }

bool trap_probe_h_extension(void) {
  trap_probe_begin();
  (void)csr_read_num(CSR_HSTATUS);
  return trap_probe_end() == 0;
}
