// hyp/cpu/vtrap.c: guest traps, by cause (see hyp/cpu/vtrap.h).
//
// OpenSBI delegates to HS-mode the exceptions a monitor needs (the ecall
// from VS-mode, guest-page faults, virtual-instruction exceptions), and
// the monitor delegates on to the guest everything the guest handles for
// itself (hedeleg, set in hyp/cpu/sched.c). What is left arrives here:
//
//   interrupts    the monitor's own: its timer (time slice over) and its
//                 software interrupt (another hart wants our attention)
//   cause 10      ecall from VS-mode: an SBI call      -> hyp/sbi/vsbi.c
//   cause 20/21/23  guest-page fault: first touch of a RAM page -> pmap,
//                 a store to a shared page (copy on write, lab 3) -> pmap,
//                 lab 4's hinting faults, node tables and replicas
//                 -> hyp/mem/numa.c,
//                 or a device access to emulate, or a bad address (the
//                 instruction's, or its page-table walk's)
//   cause 22      virtual instruction: the guest's WFI (hstatus.VTW), or
//                 something the guest may not do, reflected to it as an
//                 illegal instruction
#include "hyp/boot/hart.h"
#include "hyp/dev/mmio.h"
#include "hyp/cpu/sched.h"
#include "hyp/cpu/trap.h"
#include "hyp/mem/numa.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"
#include "hyp/cpu/vtrap.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"

#define INSN_WFI 0x10500073

// Read 16 bits of the guest's code at va with HLVX.HU (execute
// permission, both stages of translation). Returns 0, or -1 if it faults.
// The guest ran this code a moment ago, so a G-stage fault on RAM is one
// of the monitor's own passing states, as a guest's would be: lab 4's
// policy revoked the entry (of the code page, or of a page of the guest's
// own page table the read walks), or a node table lacks it, or a page
// move has it unmapped for a moment. Resolve it as the guest's fault
// would be, and read again: a walk touches at most four pages, so a few
// tries are enough.
#define READ_TRIES 8
static int read_half(struct vcpu *v, uint64_t va, uint64_t *half) {
  struct pmap *pm = &v->vm->pmap;
  for (int tries = 0; tries < READ_TRIES; tries++) {
    trap_probe_begin();
    asm volatile(".option push\n.option arch, +h\n"
                 "hlvx.hu %0, (%1)\n.option pop" : "=r"(*half) : "r"(va));
    uint64_t cause = trap_probe_end();
    if (cause == 0)
      return 0;
    uint64_t gpa = trap_probe_gpa();
    bool gpf = cause == EXC_INST_GUEST_PAGE_FAULT || cause == EXC_LOAD_GUEST_PAGE_FAULT;
    if (!gpf || !pmap_is_ram(pm, gpa))
      return -1;
    int numa = numa_fault(pm, gpa, false);
    if (numa < 0 || (numa == 0 && pmap_fault(pm, gpa) < 0))
      return -1;
  }
  return -1;
}

int vtrap_read_insn(struct vcpu *v, uint64_t va, uint32_t *insn) {
  uint64_t lo, hi = 0;
  // Two halves, as KVM does (kvm_riscv_vcpu_unpriv_read), for a 32-bit
  // instruction that may be only 2-byte aligned and cross a page.
  if (read_half(v, va, &lo) < 0)
    return -1;
  if ((lo & 3) == 3 && read_half(v, va + 2, &hi) < 0)
    return -1;
  *insn = (uint32_t)(lo | hi << 16);
  return 0;
}

// A host interrupt arrived while the guest ran.
static void host_interrupt(struct vcpu *v, uint64_t irq) {
  v->interrupts++;
  if (irq == IRQ_S_TIMER) {
    // Either the time slice is over (hyp/cpu/sched.c set the timer): give the
    // hart to the next vCPU in line, and the scheduler sets a new
    // deadline. Or vcpu_run set the timer sooner: for the disk watcher
    // (host_timer), and vcpu_run looks at the disk on the way back in; or,
    // on a host without Sstc, for the guest's own timer, and vcpu_run
    // injects it.
    if (rdtime() >= harts[hart_id()].slice_end) {
      hart_set_timer(~0UL);
      v->leave = 1;
    } else {
      hart_set_timer(harts[hart_id()].slice_end);
    }
  } else if (irq == IRQ_S_SOFT) {
    // Another hart kicked us: a VM stopped, this vCPU has a new interrupt
    // or a fence.i to take (vcpu_run folds the interrupt into hvip on the
    // way back in), or a shootdown or RFENCE waits for this hart to fence
    // or leave the guest (tlb_enter fences on the way back in).
    csr_clear(sip, 1UL << IRQ_S_SOFT);
  } else {
    vm_fail(v, "unexpected host interrupt %lu", irq);
  }
}

// A page-table entry's V bit and its R, W, X bits (privileged spec 4.3.1,
// the same in Sv39/48/57): a valid entry with R = W = X = 0 points to the
// next level. vsatp's MODE and PPN (4.1.11, 8.2.18) are kernel/riscv.h's.
#define PTE_V 0x1UL
#define PTE_RWX 0xeUL

// Was a guest-page fault at gpa taken by the hardware's walk of the
// guest's own page table, reading a page-table entry (an implicit access),
// rather than by the instruction's access to va? A device access must be
// the instruction's; a walk that reads a device instead of RAM has no
// register to go to. The spec would say so in htinst (a pseudoinstruction,
// 8.6.3), but QEMU 7.2 leaves htinst 0, so walk the guest's table (vsatp,
// live on this hart) in software, as the hardware did (4.3.2), and see
// whether one of the entries it reads is at gpa. Walking it changes
// nothing: no A or D bits are set.
static bool fault_in_page_walk(struct vcpu *v, uint64_t va, uint64_t gpa) {
  uint64_t satp = csr_read_num(CSR_VSATP);
  uint64_t mode = satp >> SATP_MODE_SHIFT;
  if (mode < 8 || mode > 10)                 // Bare (or reserved): no walk
    return false;
  int levels = (int)mode - 5;                // Sv39 3, Sv48 4, Sv57 5
  uint64_t table = (satp & SATP_PPN_MASK) << 12;
  for (int level = levels - 1; level >= 0; level--) {
    uint64_t entry = table + ((va >> (12 + 9 * level)) & 511) * 8;
    if (entry == (gpa & ~7UL))
      return true;
    // (An entry is 8 bytes, 8-aligned: one guest page holds it whole.)
    uint64_t pte;
    if (!pmap_is_ram(&v->vm->pmap, entry) ||
        pmap_copy_out(&v->vm->pmap, &pte, entry, sizeof(pte)) < 0 ||
        !(pte & PTE_V) || (pte & PTE_RWX) != 0)
      return false;                          // ends before gpa: not the walk
    table = (pte >> 10) << 12;
  }
  return false;
}

// Guest-page fault: htval holds the guest-physical address shifted right
// by 2, and stval's low bits complete it (privileged spec 8.2.8, 8.5.2).
static void guest_page_fault(struct vcpu *v) {
  uint64_t gpa = (v->htval << 2) | (v->stval & 3);
  struct vm *vm = v->vm;
  if (pmap_is_ram(&vm->pmap, gpa)) {
    // Lab 4's faults (a hinting fault says who uses the page; a node's
    // table fills in; a write collapses a replicated page); a store to a
    // shared page (lab 3) makes it private; any other fault on RAM is a
    // first touch (or a race with a change of the mapping).
    int numa = numa_fault(&vm->pmap, gpa, v->scause == EXC_STORE_GUEST_PAGE_FAULT);
    if (numa < 0)
      vm_fail(v, "out of machine memory for its node table at guest page %p", (void *)gpa);
    if (numa != 0)
      return;
    int cow = v->scause == EXC_STORE_GUEST_PAGE_FAULT ? pmap_cow(&vm->pmap, gpa) : 0;
    if (cow < 0 || (cow == 0 && pmap_fault(&vm->pmap, gpa) < 0))
      vm_fail(v, "out of machine memory for guest page %p", (void *)gpa);
    return;
  }
  if (fault_in_page_walk(v, v->stval, gpa)) {
    vm_fail(v, "page walk for va %p read guest-physical %p: not RAM",
            (void *)v->stval, (void *)gpa);
    return;
  }
  if (v->scause != EXC_INST_GUEST_PAGE_FAULT && mmio_access(v, gpa))
    return;
  const char *what = v->scause == EXC_STORE_GUEST_PAGE_FAULT ? "write"
                     : v->scause == EXC_LOAD_GUEST_PAGE_FAULT ? "read"
                                                              : "fetch";
  vm_fail(v, "%s at guest-physical %p: not RAM and no device there", what,
          (void *)gpa);
}

// Virtual-instruction exception: a WFI trapped by hstatus.VTW, or an
// instruction VS-mode may not run (an h* CSR, hfence, ...).
static void virtual_instruction(struct vcpu *v) {
  // stval may hold the instruction's bits, as for an illegal instruction
  // (privileged spec 4.1.9, 8.6.4), or 0: then read it from guest memory.
  uint32_t insn = (uint32_t)v->stval;
  if (insn == 0 && vtrap_read_insn(v, v->sepc, &insn) < 0) {
    vm_fail(v, "cannot read the instruction at %p", (void *)v->sepc);
    return;
  }
  if (insn == INSN_WFI) {
    v->sepc += 4;
    v->wfis++;
    vcpu_sync_irq_state(v);       // the guest's live interrupt state
    if (!vcpu_has_interrupt(v) && !sched_wait_here(v))
      sched_idle_vcpu(v, VCPU_IDLE);
    return;
  }
  // What real hardware without a monitor would do: illegal instruction.
  vcpu_inject_exception(v, EXC_ILLEGAL_INST, insn);
}

void vtrap_handle(struct vcpu *v) {
  uint64_t cause = v->scause;
  // Lab 4's hinting faults: whichever vCPU traps when it is time scans
  // its VM's pages (here, because the VM cannot finish while one of its
  // vCPUs is in the monitor).
  numa_scan(&v->vm->pmap);
  if (cause & SCAUSE_INTERRUPT) {
    host_interrupt(v, cause & ~SCAUSE_INTERRUPT);
    return;
  }
  if (cause < NCAUSES)
    v->traps[cause]++;
  switch (cause) {
  case EXC_ECALL_VS:
    vsbi_call(v);
    break;
  case EXC_INST_GUEST_PAGE_FAULT:
  case EXC_LOAD_GUEST_PAGE_FAULT:
  case EXC_STORE_GUEST_PAGE_FAULT:
    guest_page_fault(v);
    break;
  case EXC_VIRTUAL_INST:
    virtual_instruction(v);
    break;
  default:
    // Everything the guest can handle itself is delegated to it
    // (hedeleg); anything else reaching us means the guest is broken.
    vm_fail(v, "unexpected trap: scause %lu stval %p", cause,
            (void *)v->stval);
    break;
  }
}
