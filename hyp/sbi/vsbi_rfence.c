// hyp/sbi/vsbi_rfence.c: RFENCE for guests (SBI spec ch. 8), on lab 2's
// TLB emulation (hyp/mem/tlb.h).
#include "hyp/cpu/sched.h"
#include "hyp/mem/tlb.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"

// ---- RFENCE (SBI spec chapter 8) ----
// "Remote" means other vCPUs, which may be on other harts, or on none.
//   fid 0  remote_fence_i(mask, base)
//   fid 1  remote_sfence_vma(mask, base, start, size)
//   fid 2  remote_sfence_vma_asid(mask, base, start, size, asid)
//   fid 3..6  remote_hfence_gvma(_vmid), remote_hfence_vvma(_asid)
// fence.i: each target gets a flag that vcpu_run turns into fence.i before
// it next enters the guest; targets that run now are kicked. The sfence
// calls fence the range (and ASID) asked, or more (a range over 64 pages:
// the whole ASID; a target whose queue is full: its whole VS stage), on
// exactly the targets (hyp/mem/tlb.c): a target in its guest now is
// interrupted and the call returns only once it has fenced; the others
// fence before they next enter. (start, size) = (0, 0) or size = 2^64 - 1
// means the whole address space (spec chapter 8, before 8.1). The hfence
// calls are for guests that are hypervisors themselves; ours have no
// H-extension, and the spec's answer for a target without it is
// SBI_ERR_NOT_SUPPORTED (spec 8.4-8.7).
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
  if (fid == SBI_RFENCE_FENCE_I)
    r.error = vsbi_for_each_target(v, ask_fence_i);
  else if (fid == SBI_RFENCE_SFENCE_VMA)
    r.error = sfence_targets(v, range);
  else if (fid == SBI_RFENCE_SFENCE_VMA_ASID) {
    range.asid = v->x[14];
    r.error = sfence_targets(v, range);
  }
  return r;
}
const struct vsbi_ext vsbi_rfence = {SBI_EXT_RFENCE, SBI_EXT_RFENCE, "rfence",
                                     rfence_call};
