// hyp/sbi/vsbi_hsm.c: Hart State Management for guests (SBI spec ch. 9).
//
// A guest starts its secondary harts, stops them and suspends them with
// these calls; for us they start, stop and suspend vCPUs. The states the
// guest sees map onto the scheduler's:
//
//   SBI (get_status)   vCPU state
//   STOPPED            VCPU_STOPPED
//   START_PENDING      VCPU_STARTING
//   STARTED            VCPU_RUNNABLE, VCPU_RUNNING, VCPU_IDLE
//   STOP_PENDING       VCPU_RUNNING, leaving as VCPU_STOPPED
//   SUSPENDED          VCPU_SUSPENDED
//
// Every change of a vCPU's state is made under sched_lock, so vCPUs of
// one VM that call hart_start on one target at once cannot both win it.
#include "hyp/cpu/sched.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"
#include "kernel/riscv.h"

#define SUSPEND_RETENTIVE     0x00000000UL
#define SUSPEND_NON_RETENTIVE 0x80000000UL

// hart_start(hartid, start_addr, opaque): spec 9.1. The STOPPED ->
// STARTING change is the claim, made under sched_lock: exactly one caller
// wins it, the others get ALREADY_AVAILABLE. The winner then has the
// target to itself (on no hart, in no run queue) to reset it, and puts it
// in line. A VM that is stopping starts nothing.
static long hart_start(struct vcpu *v) {
  uint64_t id = v->x[10], start = v->x[11], opaque = v->x[12];
  struct vm *vm = v->vm;
  if (id >= (uint64_t)vm->nvcpus)
    return SBI_ERR_INVALID_PARAM;
  if (!pmap_is_ram(&vm->pmap, start))
    return SBI_ERR_INVALID_ADDRESS;
  struct vcpu *t = &vm->vcpus[id];
  acquire(&sched_lock);
  bool won = t->state == VCPU_STOPPED && vm->state == VM_RUNNING;
  if (won)
    t->state = VCPU_STARTING;
  release(&sched_lock);
  if (!won)
    return SBI_ERR_ALREADY_AVAILABLE;
  vcpu_reset(t, start, opaque);
  sched_start_vcpu(t);
  return SBI_SUCCESS;
}

// hart_get_status(hartid): spec 9.3.
static struct sbiret hart_status(struct vcpu *v) {
  struct sbiret r = {SBI_SUCCESS, 0};
  uint64_t id = v->x[10];
  if (id >= (uint64_t)v->vm->nvcpus) {
    r.error = SBI_ERR_INVALID_PARAM;
    return r;
  }
  struct vcpu *t = &v->vm->vcpus[id];
  acquire(&sched_lock);
  enum vcpu_state state = t->state;
  enum vcpu_state next = t->next_state;
  release(&sched_lock);
  if (state == VCPU_STOPPED)
    r.value = SBI_HSM_STOPPED;
  else if (state == VCPU_STARTING)
    r.value = SBI_HSM_START_PENDING;
  else if (state == VCPU_SUSPENDED)
    r.value = SBI_HSM_SUSPENDED;
  else if (state == VCPU_RUNNING && next == VCPU_STOPPED)
    r.value = SBI_HSM_STOP_PENDING;
  else
    r.value = SBI_HSM_STARTED;
  return r;
}

// hart_suspend(type, resume_addr, opaque): spec 9.4. Retentive: like WFI,
// and the call returns 0 when an interrupt wakes the vCPU. Non-retentive:
// on wake-up the vCPU starts over at resume_addr with a0 = its id, a1 =
// opaque, MMU and interrupts off, like hart_start.
static struct sbiret hart_suspend(struct vcpu *v) {
  struct sbiret r = {SBI_SUCCESS, 0};
  // suspend_type is a uint32: the upper half of a0 may hold anything and
  // must be ignored (spec 3, "Binary Encoding"; 9.4).
  uint32_t type = (uint32_t)v->x[10];
  uint64_t resume = v->x[11], opaque = v->x[12];
  if (type == SUSPEND_RETENTIVE) {
    sched_idle_vcpu(v, VCPU_SUSPENDED);
    return r;
  }
  if (type != SUSPEND_NON_RETENTIVE) {
    r.error = SBI_ERR_INVALID_PARAM;   // reserved or platform-specific
    return r;
  }
  if (!pmap_is_ram(&v->vm->pmap, resume)) {
    r.error = SBI_ERR_INVALID_ADDRESS;
    return r;
  }
  vcpu_resume_at(v, resume, opaque);
  v->sbi_no_return = 1;
  sched_idle_vcpu(v, VCPU_SUSPENDED);
  return r;
}

static struct sbiret hsm_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  switch (fid) {
  case SBI_HSM_HART_START:
    r.error = hart_start(v);
    break;
  case SBI_HSM_HART_STOP:                 // no return
    v->sbi_no_return = 1;
    sched_idle_vcpu(v, VCPU_STOPPED);
    break;
  case SBI_HSM_HART_GET_STATUS:
    r = hart_status(v);
    break;
  case SBI_HSM_HART_SUSPEND:
    r = hart_suspend(v);
    break;
  default:
    r.error = SBI_ERR_NOT_SUPPORTED;
    break;
  }
  return r;
}
const struct vsbi_ext vsbi_hsm = {SBI_EXT_HSM, SBI_EXT_HSM, "hsm", hsm_call};
