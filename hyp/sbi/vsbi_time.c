// hyp/sbi/vsbi_time.c: TIME for guests (SBI spec ch. 6), and the legacy
// set_timer (ch. 5).
#include "hyp/boot/machine.h"
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
  if (fid == SBI_TIME_SET_TIMER)
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
