// hyp/sbi/vsbi_ipi.c: IPI for guests (SBI spec ch. 7).
#include "hyp/cpu/sched.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"
#include "kernel/riscv.h"

// ---- IPI: send_ipi(hart_mask, hart_mask_base) ----
// A supervisor software interrupt for each vCPU named: hvip.VSSIP, which
// the guest sees as its sip.SSIP.
static void send_ipi(struct vcpu *caller, struct vcpu *t) {
  vcpu_raise_irq(t, IRQ_VS_SOFT);
  sched_kick_vcpu(t);
}

static struct sbiret ipi_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_ERR_NOT_SUPPORTED, 0};
  if (fid == SBI_IPI_SEND_IPI)
    r.error = vsbi_for_each_target(v, send_ipi);
  return r;
}
const struct vsbi_ext vsbi_ipi = {SBI_EXT_IPI, SBI_EXT_IPI, "ipi", ipi_call};
