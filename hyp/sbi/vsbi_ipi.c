// hyp/sbi/vsbi_ipi.c: TIME, IPI and RFENCE for guests (SBI spec ch. 6, 7, 8),
// and the legacy set_timer (ch. 5).
#include "hyp/boot/machine.h"
#include "hyp/cpu/sched.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"
#include "kernel/riscv.h"

// ---- TIME: set_timer(stime_value) ----
// With Sstc (henvcfg.STCE, set in sched_hart_init) the guest's timer is
// the hardware's vstimecmp: VSTIP rises by itself when time reaches it,
// and writing it clears a pending one, as set_timer must (spec 6.1). We
// are on v's own hart with its CSRs loaded, so write the CSR. Without
// Sstc the deadline is kept in v->vstimecmp all the same, and vcpu_run
// raises and lowers hvip.VSTIP by hand (timer_without_sstc).
static void set_timer(struct vcpu *v, uint64_t when) {
  v->vstimecmp = when;
  if (machine.has_sstc)
    csr_write_num(CSR_VSTIMECMP, when);
  else
    csr_clear_num(CSR_HVIP, 1UL << IRQ_VS_TIMER);
}

static struct sbiret time_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  if (fid == 0)
    set_timer(v, v->x[10]);
  else
    r.error = SBI_ERR_NOT_SUPPORTED;
  return r;
}
const struct vsbi_ext vsbi_time = {SBI_EXT_TIME, SBI_EXT_TIME, "time",
                                   time_call};

static struct sbiret legacy_timer_call(struct vcpu *v, uint64_t eid,
                                       uint64_t fid) {
  set_timer(v, v->x[10]);
  struct sbiret r = {0, 0};
  return r;
}
const struct vsbi_ext vsbi_legacy_timer = {
    SBI_EXT_LEGACY_SET_TIMER, SBI_EXT_LEGACY_SET_TIMER, "legacy-timer",
    legacy_timer_call};

// Do `what` to every vCPU the caller's hart mask (a0, a1) names. Returns
// SBI_ERR_INVALID_PARAM, without doing anything, if it names one the VM
// does not have.
static long for_each_target(struct vcpu *v,
                            void (*what)(struct vcpu *caller, struct vcpu *t)) {
  uint64_t targets;
  long err = vsbi_hart_mask(v, v->x[10], v->x[11], &targets);
  if (err != SBI_SUCCESS)
    return err;
  for (int i = 0; i < v->vm->nvcpus; i++)
    if (targets & (1UL << i))
      what(v, &v->vm->vcpus[i]);
  return SBI_SUCCESS;
}

// ---- IPI: send_ipi(hart_mask, hart_mask_base) ----
// A supervisor software interrupt for each vCPU named: hvip.VSSIP, which
// the guest sees as its sip.SSIP.
static void send_ipi(struct vcpu *caller, struct vcpu *t) {
  vcpu_raise_irq(t, IRQ_VS_SOFT);
  sched_kick_vcpu(t);
}

static struct sbiret ipi_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_ERR_NOT_SUPPORTED, 0};
  if (fid == 0)
    r.error = for_each_target(v, send_ipi);
  return r;
}
const struct vsbi_ext vsbi_ipi = {SBI_EXT_IPI, SBI_EXT_IPI, "ipi", ipi_call};

// ---- RFENCE (SBI spec chapter 8) ----
// "Remote" means other vCPUs, which may be on other harts, or on none.
//   fid 0  remote_fence_i(mask, base)
//   fid 1  remote_sfence_vma(mask, base, start, size)
//   fid 2  remote_sfence_vma_asid(mask, base, start, size, asid)
//   fid 3..6  remote_hfence_gvma(_vmid), remote_hfence_vvma(_asid)
// fence.i: each target gets a flag that vcpu_run turns into fence.i before
// it next enters the guest; targets that run now are kicked. The sfence
// calls fence exactly the range (and ASID) asked, on exactly the targets
// (hyp/mem/tlb.c): a target in its guest now is interrupted and the call
// returns only once it has fenced; the others fence before they next
// enter. (start, size) = (0, 0) or size = 2^64 - 1 means the whole address
// space (spec 8.2). The hfence calls are for guests that are hypervisors
// themselves; ours have no H-extension, and the spec's answer for a
// target without it is SBI_ERR_NOT_SUPPORTED (spec 8.4-8.7).
static void ask_fence_i(struct vcpu *caller, struct vcpu *t) {
  __atomic_store_n(&t->flush, 1, __ATOMIC_RELEASE);
  if (t != caller)
    sched_kick_vcpu(t);
}

// sfence.vma on the targets in v's hart mask (a0, a1): post to each, then
// wait for each.
static long sfence_targets(struct vcpu *v, struct tlb_range r) {
  uint64_t targets;
  long err = vsbi_hart_mask(v, v->x[10], v->x[11], &targets);
  if (err != SBI_SUCCESS)
    return err;
  uint64_t tickets[MAX_VCPUS];
  for (int i = 0; i < v->vm->nvcpus; i++)
    if (targets & (1UL << i))
      tickets[i] = tlb_rfence_post(v, &v->vm->vcpus[i], r);
  for (int i = 0; i < v->vm->nvcpus; i++)
    if (targets & (1UL << i))
      tlb_rfence_wait(v, &v->vm->vcpus[i], tickets[i]);
  return SBI_SUCCESS;
}

static struct sbiret rfence_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_ERR_NOT_SUPPORTED, 0};
  struct tlb_range range = {v->x[12], v->x[13], TLB_ASID_ALL};
  if (range.start == 0 && range.size == 0)
    range.size = ~0UL;
  if (fid == 0)
    r.error = for_each_target(v, ask_fence_i);
  else if (fid == 1)
    r.error = sfence_targets(v, range);
  else if (fid == 2) {
    range.asid = v->x[14];
    r.error = sfence_targets(v, range);
  }
  return r;
}
const struct vsbi_ext vsbi_rfence = {SBI_EXT_RFENCE, SBI_EXT_RFENCE, "rfence",
                                     rfence_call};
