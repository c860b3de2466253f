// hyp/sbi/vsbi_system.c: the VM's power button: SRST (SBI spec ch. 10), the
// legacy shutdown (ch. 5) and SUSP, system suspend (ch. 13). They act on
// the calling VM alone, never on the machine.
#include "hyp/cpu/sched.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"
#include "kernel/riscv.h"

// system_reset(reset_type, reset_reason): spec 10.1. Both are uint32:
// only the lower half of a0 and a1 counts (spec 3, "Binary Encoding").
static struct sbiret srst_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  uint32_t type = (uint32_t)v->x[10], reason = (uint32_t)v->x[11];
  if (fid != SBI_SRST_SYSTEM_RESET) {
    r.error = SBI_ERR_NOT_SUPPORTED;
    return r;
  }
  // Types: shutdown, cold reboot, warm reboot; reasons: none, system
  // failure, and from SBI_RESET_REASON_SBI_FIRST up SBI- and
  // vendor-specific ones (spec 10.1, the reset type and reset reason
  // tables). Vendor reset types are refused, as the spec allows for ones
  // a platform does not implement. Both reboots restart the VM.
  if (type > SBI_RESET_WARM_REBOOT ||
      (reason > SBI_RESET_REASON_FAILURE && reason < SBI_RESET_REASON_SBI_FIRST)) {
    r.error = SBI_ERR_INVALID_PARAM;
    return r;
  }
  v->sbi_no_return = 1;
  bool failure = reason == SBI_RESET_REASON_FAILURE;
  if (type == SBI_RESET_SHUTDOWN)
    vm_stop(v->vm, failure ? 1 : 0, failure ? "shutdown (system failure)" : "shutdown");
  else
    vm_stop(v->vm, VM_EXIT_REBOOT, "reboot");
  v->leave = 1;
  return r;
}
const struct vsbi_ext vsbi_srst = {SBI_EXT_SRST, SBI_EXT_SRST, "srst",
                                   srst_call};

static struct sbiret legacy_shutdown_call(struct vcpu *v, uint64_t eid,
                                          uint64_t fid) {
  struct sbiret r = {0, 0};
  v->sbi_no_return = 1;
  vm_stop(v->vm, 0, "shutdown (legacy call)");
  v->leave = 1;
  return r;
}
const struct vsbi_ext vsbi_legacy_shutdown = {
    SBI_EXT_LEGACY_SHUTDOWN, SBI_EXT_LEGACY_SHUTDOWN, "legacy-shutdown",
    legacy_shutdown_call};

// system_suspend(sleep_type, resume_addr, opaque): spec 13.1. sleep_type
// is a uint32 (only the lower half of a0 counts). Only
// suspend-to-RAM (type 0) exists; every other vCPU must be stopped
// (SBI_ERR_DENIED otherwise). The caller sleeps until an interrupt it has
// enabled (its timer, typically), then resumes at resume_addr as after a
// non-retentive hart suspend: a0 = its id, a1 = opaque, MMU and
// interrupts off.
static struct sbiret susp_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  uint32_t type = (uint32_t)v->x[10];
  uint64_t resume = v->x[11], opaque = v->x[12];
  if (fid != SBI_SUSP_SYSTEM_SUSPEND) {
    r.error = SBI_ERR_NOT_SUPPORTED;
    return r;
  }
  if (type != SBI_SUSP_TO_RAM) {
    r.error = SBI_ERR_INVALID_PARAM;
    return r;
  }
  struct vm *vm = v->vm;
  acquire(&sched_lock);
  bool alone = true;
  for (int i = 0; i < vm->nvcpus; i++)
    if (&vm->vcpus[i] != v && vm->vcpus[i].state != VCPU_STOPPED)
      alone = false;
  release(&sched_lock);
  if (!alone) {
    r.error = SBI_ERR_DENIED;
    return r;
  }
  if (!pmap_is_ram(&vm->pmap, resume)) {
    r.error = SBI_ERR_INVALID_ADDRESS;
    return r;
  }
  vcpu_resume_at(v, resume, opaque);
  v->sbi_no_return = 1;
  v->system_suspends++;
  sched_idle_vcpu(v, VCPU_SUSPENDED);
  return r;
}
const struct vsbi_ext vsbi_susp = {SBI_EXT_SUSP, SBI_EXT_SUSP, "susp",
                                   susp_call};
