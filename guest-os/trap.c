// guest-os/trap.c: what happens on a trap (see guest-os/trap.h and the
// vectors in guest-os/trapvec.S).
//
// scause says why we are here (privileged spec 4.1.8, table 4.2): the
// top bit set means an interrupt, numbered as the sip bits (1 software,
// 5 timer, 9 external); clear means an exception of the running code
// (8 an ecall from user mode, 12/13/15 page faults, ...). stval holds the
// address that faulted, for faults; sepc the pc of the trap.
#include <stddef.h>
#include "guest-os/plic.h"
#include "guest-os/proc.h"
#include "guest-os/syscall.h"
#include "guest-os/timer.h"
#include "guest-os/trap.h"
#include "guest-os/trapframe.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"

// trapvec.S uses these offsets: keep them and the struct together.
_Static_assert(offsetof(struct trapframe, x[31]) == TF_X(31), "x31");
_Static_assert(offsetof(struct trapframe, epc) == TF_EPC, "epc");
_Static_assert(offsetof(struct trapframe, kernel_sp) == TF_KERNEL_SP, "ksp");
_Static_assert(offsetof(struct trapframe, hart) == TF_HART, "hart");

extern char user_vector[], kernel_vector[];
void user_resume(struct trapframe *tf) __attribute__((noreturn));

void trap_hart_init(void) {
  csr_write(stvec, (uint64_t)kernel_vector);
  // SUM off for good (privileged spec 4.1.1.2): a kernel load or store
  // to a user page faults, so a kernel bug that follows a user pointer is
  // caught at once. User memory is reached only through the page-table
  // walk in guest-os/aspace.c.
  csr_clear(sstatus, SSTATUS_SUM);
  // scounteren.TM (privileged spec 4.1.5): user programs may read the
  // time CSR themselves (rdtime), so they time in microseconds without a
  // system call. Under a monitor, hcounteren must allow it too (Disco-V's
  // does).
  csr_write(scounteren, SCOUNTEREN_TM);
  csr_write(sie, (1UL << IRQ_S_SOFT) | (1UL << IRQ_S_TIMER) |
                     (1UL << IRQ_S_EXT));
}

// Handle interrupt `irq` (scause without its top bit). Returns true if it
// was this hart's timer tick, after which a user process yields.
static bool interrupt(uint64_t irq) {
  switch (irq) {
  case IRQ_S_TIMER:
    timer_interrupt();
    return true;
  case IRQ_S_EXT:
    plic_interrupt();
    return false;
  case IRQ_S_SOFT:
    // An IPI from harts_kick_idle: its only message is "look for work",
    // which the scheduler does next anyway. Clear it (SBI spec 7: the
    // receiver clears sip.SSIP).
    csr_clear(sip, 1UL << IRQ_S_SOFT);
    return false;
  default:
    panic("unexpected interrupt %lu", irq);
  }
}

// A name for an exception a user program can cause.
static const char *exception_name(uint64_t cause) {
  switch (cause) {
  case EXC_INST_MISALIGNED: return "misaligned jump";
  case EXC_INST_ACCESS: return "instruction access fault";
  case EXC_ILLEGAL_INST: return "illegal instruction";
  case EXC_BREAKPOINT: return "breakpoint";
  case EXC_LOAD_MISALIGNED: return "misaligned load";
  case EXC_LOAD_ACCESS: return "load access fault";
  case EXC_STORE_MISALIGNED: return "misaligned store";
  case EXC_STORE_ACCESS: return "store access fault";
  case EXC_INST_PAGE_FAULT: return "instruction page fault";
  case EXC_LOAD_PAGE_FAULT: return "load page fault";
  case EXC_STORE_PAGE_FAULT: return "store page fault";
  default: return "unknown exception";
  }
}

void user_trap(struct trapframe *tf) {
  struct proc *p = this_proc();
  uint64_t cause = csr_read(scause);
  bool tick = false;

  if (cause & SCAUSE_INTERRUPT) {
    tick = interrupt(cause & ~SCAUSE_INTERRUPT);
  } else if (cause == EXC_ECALL_U) {
    tf->epc += 4;                 // return past the ecall, not onto it
    syscall_dispatch(p);
  } else {
    // The program did something its page table or the ISA forbids: a
    // kernel address, an unmapped one, a write to its code, a privileged
    // instruction. It dies; the kernel and the others carry on.
    printf("guest-os: pid %d (%s) killed: %s at pc %p, address %p\n",
           p->pid, p->name, exception_name(cause), (void *)tf->epc,
           (void *)csr_read(stval));
    proc_exit(-1);
  }

  if (proc_killed(p))
    proc_exit(-1);
  if (tick)
    sched_yield();                // preemption: round-robin
  user_return(p);
}

void user_return(struct proc *p) {
  // From here on a trap must go to user_vector, which is right only once
  // we are in user mode; interrupts are off until the sret.
  csr_write(stvec, (uint64_t)user_vector);
  p->tf.kernel_sp = p->kstack + PAGE_SIZE;
  p->tf.hart = hart_id();
  // sret goes to the mode in SPP (0: user) and sets SIE from SPIE.
  csr_clear(sstatus, SSTATUS_SPP);
  csr_set(sstatus, SSTATUS_SPIE);
  user_resume(&p->tf);
}

void kernel_trap(void) {
  uint64_t cause = csr_read(scause);
  if (cause & SCAUSE_INTERRUPT) {
    interrupt(cause & ~SCAUSE_INTERRUPT);
    return;
  }
  // The kernel itself faulted: a bug, reported with all we know.
  panic("kernel trap: %s (scause %lu) at pc %p, stval %p",
        exception_name(cause), cause, (void *)csr_read(sepc),
        (void *)csr_read(stval));
}
