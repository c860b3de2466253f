// hyp/cpu/vcpu.c: running a virtual CPU on a hart (see hyp/cpu/vcpu.h).
//
// vcpu_run() is the heart of the monitor, in the shape KVM uses:
//
//     load v's VS-level state onto this hart          (vcpu_load)
//     loop:
//         enter the guest                           (vcpu_enter, switch.S)
//         ... the guest runs until something traps to the monitor ...
//         handle the trap                            (vtrap_handle, vtrap.c)
//     until the handler says v must leave the hart
//     save v's VS-level state                         (vcpu_put)
#include <stddef.h>
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/tlb.h"
#include "hyp/cpu/vcpu.h"
#include "hyp/cpu/vcpu_offsets.h"
#include "hyp/cpu/vtrap.h"
#include "hyp/dev/diskq.h"
#include "hyp/vm/vm.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "kernel/string.h"

// switch.S relies on these offsets.
_Static_assert(offsetof(struct vcpu, x) == VCPU_X(0), "vcpu.x");
_Static_assert(offsetof(struct vcpu, sepc) == VCPU_SEPC, "vcpu.sepc");
_Static_assert(offsetof(struct vcpu, hstatus) == VCPU_HSTATUS, "vcpu.hstatus");
_Static_assert(offsetof(struct vcpu, sstatus) == VCPU_SSTATUS, "vcpu.sstatus");
_Static_assert(offsetof(struct vcpu, host) == VCPU_HOST(0), "vcpu.host");

// hvip bits (VS-level interrupt numbers) and the matching sie bits as the
// guest sees them in vsie (S-level numbers): VS bit n is S bit n - 1
// (privileged spec 8.2.12: "vsip.SSIP ... are aliases of hip.VSSIP", etc.).
#define HVIP_VSSIP (1UL << IRQ_VS_SOFT)
#define HVIP_VSTIP (1UL << IRQ_VS_TIMER)
#define HVIP_VSEIP (1UL << IRQ_VS_EXT)

void vcpu_reset(struct vcpu *v, uint64_t start, uint64_t opaque) {
  memset(v->x, 0, sizeof(v->x));
  v->x[10] = (uint64_t)v->id;      // a0: the hart id the guest sees
  v->x[11] = opaque;               // a1
  v->sepc = start;

  // hstatus: return to V=1 (SPV) in VS privilege (SPVP: lets HLV/HLVX
  // read guest memory as the guest kernel would), and trap the guest's
  // WFI (VTW) so an idle guest gives its hart back (Disco 4.2.1).
  uint64_t h = csr_read_num(CSR_HSTATUS);
  h &= ~(HSTATUS_VTSR | HSTATUS_VTVM | HSTATUS_HU | HSTATUS_GVA);
  v->hstatus = h | HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW;
  // sstatus: SPP = 1 makes sret go to (V)S-mode. FS must not be Off
  // while a guest runs, or the guest's FP instructions trap (spec 8.2.11).
  v->sstatus = SSTATUS_SPP | SSTATUS_FS;

  // The guest's own CSRs start as a hart's do after reset: MMU off,
  // interrupts off, no timer.
  v->vsstatus = 0;
  v->vsie = 0;
  v->vstvec = v->vsscratch = v->vsepc = v->vscause = v->vstval = 0;
  v->vsatp = 0;
  v->vstimecmp = ~0UL;
  v->hvip = 0;
  memset(v->fregs, 0, sizeof(v->fregs));
  v->fcsr = 0;
  __atomic_store_n(&v->irqs, 0, __ATOMIC_RELAXED);
}

// Put v's VS-level state on this hart's CSRs, and make the TLB right for
// it: its VM's VMID and G-stage table in hgatp, and only the fences that
// switching to v needs (tlb_load, hyp/mem/tlb.c: none at all for a switch
// between VMs that have VMIDs).
static void vcpu_load(struct vcpu *v) {
  struct hart *h = &harts[hart_id()];
  tlb_load(v);
  // Counted whatever this hart ran last: a vCPU that moves to a hart that
  // never ran one before moved too.
  if (v->hart_seen >= 0 && v->hart_seen != (int)hart_id())
    v->migrations++;
  h->last_vcpu = v;
  v->hart_seen = (int)hart_id();
  csr_write_num(CSR_VSSTATUS, v->vsstatus);
  csr_write_num(CSR_VSIE, v->vsie);
  csr_write_num(CSR_VSTVEC, v->vstvec);
  csr_write_num(CSR_VSSCRATCH, v->vsscratch);
  csr_write_num(CSR_VSEPC, v->vsepc);
  csr_write_num(CSR_VSCAUSE, v->vscause);
  csr_write_num(CSR_VSTVAL, v->vstval);
  csr_write_num(CSR_VSATP, v->vsatp);
  csr_write_num(CSR_HVIP, v->hvip);
  if (machine.has_sstc)
    csr_write_num(CSR_VSTIMECMP, v->vstimecmp);
  csr_set(sstatus, SSTATUS_FS);
  fpu_restore(v->fregs, &v->fcsr);
}

// Save v's VS-level state from this hart's CSRs.
static void vcpu_put(struct vcpu *v) {
  v->vsstatus = csr_read_num(CSR_VSSTATUS);
  v->vsie = csr_read_num(CSR_VSIE);
  v->vstvec = csr_read_num(CSR_VSTVEC);
  v->vsscratch = csr_read_num(CSR_VSSCRATCH);
  v->vsepc = csr_read_num(CSR_VSEPC);
  v->vscause = csr_read_num(CSR_VSCAUSE);
  v->vstval = csr_read_num(CSR_VSTVAL);
  v->vsatp = csr_read_num(CSR_VSATP);
  v->hvip = csr_read_num(CSR_HVIP);
  if (machine.has_sstc)
    v->vstimecmp = csr_read_num(CSR_VSTIMECMP);
  fpu_save(v->fregs, &v->fcsr);
}

// Move interrupts other harts asked for (v->irqs) into hvip, where the
// hardware delivers them to the guest. The guest clears VSSIP itself by
// writing its sip (an alias of hvip.VSSIP, spec 8.2.3 and 8.2.12).
// The external interrupt (VSEIP) is a level that follows the PLIC
// (v->eip, set by hyp/dev/mmio.c), so it is copied, not just set.
static void take_irqs(struct vcpu *v) {
  uint64_t irqs = __atomic_exchange_n(&v->irqs, 0, __ATOMIC_ACQUIRE);
  if (irqs != 0)
    csr_set_num(CSR_HVIP, irqs);
  if (__atomic_load_n(&v->eip, __ATOMIC_ACQUIRE))
    csr_set_num(CSR_HVIP, HVIP_VSEIP);
  else
    csr_clear_num(CSR_HVIP, HVIP_VSEIP);
}

// The guest's timer on a host without Sstc (SBI spec 6.1 semantics, by
// hand): VSTIP is pending while time >= the deadline set_timer gave, and
// the host timer must go off at that deadline even while the guest runs,
// so it is set to whichever comes first, the deadline or slice_end (the
// end of the time slice, or sooner: see host_timer). With Sstc the
// hardware does all of this with vstimecmp.
static void timer_without_sstc(struct vcpu *v, uint64_t slice_end) {
  uint64_t now = rdtime();
  if (now >= v->vstimecmp) {
    csr_set_num(CSR_HVIP, HVIP_VSTIP);
    hart_set_timer(slice_end);
  } else {
    csr_clear_num(CSR_HVIP, HVIP_VSTIP);
    hart_set_timer(v->vstimecmp < slice_end ? v->vstimecmp : slice_end);
  }
}

// When the monitor's timer must go off while v runs: at the end of its
// time slice, or sooner if this hart watches the real disk (hyp/dev/diskq.h).
// Sets it (unless timer_without_sstc will) and returns it.
static uint64_t host_timer(void) {
  uint64_t when = harts[hart_id()].slice_end;
  uint64_t disk = diskq_deadline(false);
  if (disk < when) {
    when = disk;
    if (machine.has_sstc)
      hart_set_timer(when);
  }
  return when;
}

void vcpu_run(struct vcpu *v) {
  vcpu_load(v);
  v->leave = 0;
  while (!v->leave) {
    if (v->vm->state != VM_RUNNING)
      break;                      // vm_stop was called, maybe on another hart
    diskq_poll();                 // the real disk may have finished something
    take_irqs(v);
    uint64_t timer = host_timer();
    if (!machine.has_sstc)
      timer_without_sstc(v, timer);
    if (__atomic_exchange_n(&v->flush, 0, __ATOMIC_ACQUIRE))
      asm volatile("fence.i");    // an RFENCE remote_fence_i
    tlb_enter(v);                 // last: VMID, shootdowns, RFENCE ranges
    vcpu_enter(v);
    tlb_exit(v);
    v->scause = csr_read(scause);
    v->stval = csr_read(stval);
    v->htval = csr_read_num(CSR_HTVAL);
    v->htinst = csr_read_num(CSR_HTINST);
    // What the monitor's work on each kind of trap costs, in time
    // (rdtime: under QEMU's -icount, in instructions): the counters say
    // where a virtualized workload's extra time goes. A WFI's wait for an
    // interrupt right here (sched_wait_here) is idle time, not work.
    uint64_t t0 = rdtime(), idle0 = v->idle_ticks;
    vtrap_handle(v);
    uint64_t dt = rdtime() - t0 - (v->idle_ticks - idle0);
    if (v->scause & SCAUSE_INTERRUPT)
      v->irq_ticks += dt;
    else if (v->scause < NCAUSES)
      v->trap_ticks[v->scause] += dt;
  }
  vcpu_put(v);
}

void vcpu_resume_at(struct vcpu *v, uint64_t addr, uint64_t opaque) {
  v->sepc = addr;
  v->x[10] = (uint64_t)v->id;
  v->x[11] = opaque;
  csr_write_num(CSR_VSATP, 0);            // v's CSRs are on this hart
  csr_clear_num(CSR_VSSTATUS, SSTATUS_SIE);
}

void vcpu_raise_irq(struct vcpu *v, int irq) {
  __atomic_fetch_or(&v->irqs, 1UL << irq, __ATOMIC_RELEASE);
}

void vcpu_sync_irq_state(struct vcpu *v) {
  v->vsie = csr_read_num(CSR_VSIE);
  v->hvip = csr_read_num(CSR_HVIP);
  if (machine.has_sstc)
    v->vstimecmp = csr_read_num(CSR_VSTIMECMP);
}

bool vcpu_has_interrupt(struct vcpu *v) {
  // Pending: what hvip holds now, what others asked for, and the timer
  // (VSTIP is pending while time >= vstimecmp, with Sstc).
  uint64_t pending = v->hvip | __atomic_load_n(&v->irqs, __ATOMIC_ACQUIRE);
  if (__atomic_load_n(&v->eip, __ATOMIC_ACQUIRE))
    pending |= HVIP_VSEIP;
  if (rdtime() >= v->vstimecmp)
    pending |= HVIP_VSTIP;
  // Enabled: vsie, in S-level bit positions; shift to VS positions.
  // WFI ends on a pending, enabled interrupt even when the guest has
  // interrupts globally off (privileged spec 3.3.3, "Wait for Interrupt").
  uint64_t enabled = v->vsie << 1;
  return (pending & enabled & (HVIP_VSSIP | HVIP_VSTIP | HVIP_VSEIP)) != 0;
}

void vcpu_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval) {
  // What the hardware does on a trap into VS-mode (privileged spec 8.6.2,
  // and 4.1.1 for SPP, SPIE, SIE): remember the pc, cause and value, the
  // previous privilege and interrupt-enable, turn interrupts off, jump to
  // the trap vector (direct mode; vectored mode only changes interrupts).
  uint64_t vss = csr_read_num(CSR_VSSTATUS);
  bool from_s = (v->hstatus & HSTATUS_SPVP) != 0;
  vss &= ~(SSTATUS_SPP | SSTATUS_SPIE);
  if (from_s)
    vss |= SSTATUS_SPP;
  if (vss & SSTATUS_SIE)
    vss |= SSTATUS_SPIE;
  vss &= ~SSTATUS_SIE;
  csr_write_num(CSR_VSSTATUS, vss);
  csr_write_num(CSR_VSEPC, v->sepc);
  csr_write_num(CSR_VSCAUSE, cause);
  csr_write_num(CSR_VSTVAL, tval);
  v->sepc = csr_read_num(CSR_VSTVEC) & ~3UL;
  // The guest's handler runs in VS-mode (S privilege), whatever it was in.
  v->hstatus |= HSTATUS_SPVP;
  v->sstatus |= SSTATUS_SPP;
}
