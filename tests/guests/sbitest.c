// tests/guests/sbitest.c: the monitor's SBI, call by call (SBI spec v2.0).
//
// Every extension the monitor implements for its guests, with the error
// codes the spec gives for bad arguments, and the interrupts that the
// TIME and IPI extensions promise. Run with 2 vCPUs. Each check prints
// "check <name>: ok"; tests/system/test_vm.py wants all of them.
#include "kernel/fdt.h"
#include "tests/guests/guest.h"

static volatile int hart1_ready, hart1_go, hart1_ipis_seen;

#define SUSPEND_OPAQUE 0x5059u

// Garbage for the upper half of a register that carries a 32-bit value
// (an extension or function id, a suspend or reset type, a reset
// reason): the SBI implementation must look at the lower half only (SBI
// spec v2.0, ch. 3 "Binary Encoding"). Bits 63 and 32 both set.
#define UPPER (0x80000001UL << 32)

static void shutdown_with_upper_bits(void);

// vCPU 0, after the system suspend at the end: the monitor resumes it
// here (through _secondary) with a1 = the opaque value given to SUSP.
static void resumed(uint64_t hartid, uint64_t opaque) {
  sbi_set_timer(~0UL);
  check("susp-resumed", hartid == 0 && opaque == SUSPEND_OPAQUE, (long)opaque);
  check("susp-mmu-off", csr_read(satp) == 0, (long)csr_read(satp));
  shutdown_with_upper_bits();
}

// vCPU 1: wait for IPIs; tell vCPU 0 when one came. Interrupts are
// globally off around the check and the WFI (which wakes on a pending,
// enabled one all the same) and let in between WFIs: with them on, vCPU
// 0's last IPI could be taken between the check and the WFI, which would
// then sleep for ever.
void guest_hart(uint64_t hartid, uint64_t opaque) {
  if (opaque == SUSPEND_OPAQUE)
    resumed(hartid, opaque);
  check("hsm-opaque", opaque == 0x1234, (long)opaque);
  irqs_on();                        // the enables in sie
  irqs_off();
  hart1_ready = 1;
  while (!hart1_go) {
    wfi();                          // the monitor deschedules us here
    csr_set(sstatus, SSTATUS_SIE);  // take the IPI here
    csr_clear(sstatus, SSTATUS_SIE);
    hart1_ipis_seen = (int)soft_irqs[hartid];
  }
}

// Wait up to `ms` milliseconds (10 MHz timebase) for *flag to become set.
static bool wait_for(volatile int *flag, int ms) {
  uint64_t end = rdtime() + (uint64_t)ms * 10000;
  while (!*flag && rdtime() < end)
    ;
  return *flag != 0;
}

static void base_checks(void) {
  check("base-spec-version", sbi_spec_version() == (2L << 24),
        sbi_spec_version());
  check("base-impl-id", sbi_impl_id() == 0x44495343, sbi_impl_id());
  check("base-probe-hsm", sbi_probe(SBI_EXT_HSM), 0);
  check("base-probe-dbcn", sbi_probe(SBI_EXT_DBCN), 0);
  check("base-probe-unknown", !sbi_probe(0x12345678), 1);
  struct sbiret r = sbi_call(0x12345678, 0, 0, 0, 0, 0, 0, 0);
  check("unknown-extension", r.error == SBI_ERR_NOT_SUPPORTED, r.error);
  r = sbi_call(SBI_EXT_BASE, 99, 0, 0, 0, 0, 0, 0);
  check("unknown-function", r.error == SBI_ERR_NOT_SUPPORTED, r.error);
  // Ids are 32-bit values: garbage above them changes nothing.
  r = sbi_call(UPPER | SBI_EXT_BASE, UPPER | 0, 0, 0, 0, 0, 0, 0);
  check("ids-upper-bits-ignored", r.error == SBI_SUCCESS && r.value == (2L << 24),
        r.error);
  r = sbi_call(SBI_EXT_BASE, 3, UPPER | SBI_EXT_HSM, 0, 0, 0, 0, 0);
  check("base-probe-upper-bits-ignored", r.error == SBI_SUCCESS && r.value == 1,
        r.value);
  // A legacy call (EIDs 0x00-0x0F, spec 5) returns only a0: a1 comes back
  // as it went in, even for one the monitor does not have (0x09).
  r = sbi_call(0x09, 0, 0, 0x1234, 0, 0, 0, 0);
  check("legacy-leaves-a1", r.error == SBI_ERR_NOT_SUPPORTED && r.value == 0x1234,
        r.value);
}

// Does this vCPU have Sstc (its riscv,isa says "_sstc")?
static bool has_sstc;

static void find_sstc(const void *dtb) {
  struct fdt fdt;
  const char *isa;
  int len;
  if (fdt_init(&fdt, dtb, 64 * 1024) < 0 ||
      fdt_getprop(&fdt, fdt_path(&fdt, "/cpus/cpu@0"), "riscv,isa",
                  (const void **)&isa, &len) < 0)
    return;
  for (int i = 0; i + 5 <= len; i++)
    if (isa[i] == '_' && isa[i + 1] == 's' && isa[i + 2] == 's' &&
        isa[i + 3] == 't' && isa[i + 4] == 'c')
      has_sstc = true;
}

static void timer_checks(uint64_t me) {
  // A timer 5 ms ahead must interrupt us, once.
  irqs_on();
  uint64_t before = timer_irqs[me];
  sbi_set_timer(rdtime() + 50000);
  uint64_t end = rdtime() + 2000000;              // 200 ms at most
  while (timer_irqs[me] == before && rdtime() < end)
    wfi();
  check("timer-fires", timer_irqs[me] == before + 1,
        (long)(timer_irqs[me] - before));
  // An idle guest costs no hart time (Disco 4.2.1): a WFI with the next
  // timer 50 ms away must sleep until it, not return at once over and
  // over. With Sstc the guest can set its timer itself, without the SBI
  // (stimecmp, which is its vstimecmp): then the monitor must look at the
  // live CSR, not at what it saved when the vCPU last left its hart. So
  // first make the saved copy stale: a timer in the past through the SBI
  // (with interrupts off), then the real one straight into stimecmp.
  if (has_sstc) {
    irqs_off();
    sbi_set_timer(rdtime());
    csr_write_num(CSR_STIMECMP, rdtime() + 500000);
    before = timer_irqs[me];
    irqs_on();
    int wakeups = 0;
    end = rdtime() + 4000000;
    while (timer_irqs[me] == before && rdtime() < end) {
      wfi();
      wakeups++;
    }
    sbi_set_timer(~0UL);
    check("wfi-sleeps-until-timer", timer_irqs[me] == before + 1 && wakeups <= 3,
          wakeups);
  }
  irqs_off();
  // set_timer clears a pending timer interrupt (SBI spec 6.1). With
  // interrupts off, a timer set in the past becomes pending; a second
  // set_timer(-1) must clear it, so turning interrupts on takes nothing.
  // (Interrupts off, so that being descheduled between the calls cannot
  // make this flaky.) First the control: without the cancel, it fires.
  sbi_set_timer(rdtime());
  before = timer_irqs[me];
  irqs_on();
  end = rdtime() + 100000;
  while (timer_irqs[me] == before && rdtime() < end)
    ;
  irqs_off();
  check("timer-pending-fires", timer_irqs[me] == before + 1,
        (long)(timer_irqs[me] - before));
  sbi_set_timer(rdtime());
  sbi_set_timer(~0UL);
  before = timer_irqs[me];
  irqs_on();
  end = rdtime() + 100000;                        // 10 ms
  while (rdtime() < end)
    ;
  check("timer-cancel", timer_irqs[me] == before,
        (long)(timer_irqs[me] - before));
  irqs_off();
}

// Retentive suspend (type 0, with `upper` above it), woken by our own
// timer 5 ms later: the call must succeed and the timer must have come.
// The timer is armed with interrupts off, so that it cannot fire (and be
// cleared by the handler) before the suspend starts; a pending, enabled
// interrupt ends a suspend even with sstatus.SIE off, as it ends a WFI.
static void retentive_suspend(uint64_t me, uint64_t upper, const char *name,
                              const char *woken) {
  irqs_off();
  csr_set(sie, 1UL << IRQ_S_TIMER);
  uint64_t before = timer_irqs[me];
  sbi_set_timer(rdtime() + 50000);
  struct sbiret r = sbi_call(SBI_EXT_HSM, 3, upper | 0, 0, 0, 0, 0, 0);
  check(name, r.error == SBI_SUCCESS, r.error);
  irqs_on();                        // now take the timer that woke us
  uint64_t end = rdtime() + 1000000;
  while (timer_irqs[me] == before && rdtime() < end)
    ;
  irqs_off();
  check(woken, timer_irqs[me] == before + 1, (long)(timer_irqs[me] - before));
}

static void hsm_checks(uint64_t me) {
  struct sbiret r = sbi_hart_start(7, 0x80200000, 0);
  check("hsm-start-bad-hart", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_hart_start(1, 0x1000, 0);
  check("hsm-start-bad-address", r.error == SBI_ERR_INVALID_ADDRESS, r.error);
  check("hsm-status-stopped",
        sbi_hart_get_status(1).value == SBI_HSM_STOPPED,
        sbi_hart_get_status(1).value);
  check("hsm-start", start_hart(1, 0x1234) == SBI_SUCCESS, 0);
  check("hsm-start-again", start_hart(1, 0) == SBI_ERR_ALREADY_AVAILABLE, 0);
  check("hsm-status-bad-hart",
        sbi_hart_get_status(9).error == SBI_ERR_INVALID_PARAM, 0);
  check("hsm-started", wait_for(&hart1_ready, 1000), 0);
  check("hsm-status-started",
        sbi_hart_get_status(1).value == SBI_HSM_STARTED,
        sbi_hart_get_status(1).value);
  r = sbi_hart_suspend(0x1234, 0, 0);
  check("hsm-suspend-bad-type", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_call(SBI_EXT_HSM, 3, UPPER | 0x1234, 0, 0, 0, 0, 0);
  check("hsm-suspend-bad-type-upper-bits", r.error == SBI_ERR_INVALID_PARAM,
        r.error);
  retentive_suspend(me, 0, "hsm-suspend-retentive", "hsm-suspend-woken-by-timer");
  // suspend_type is a uint32: type 0 with garbage above it is still the
  // default retentive suspend, not an invalid one.
  retentive_suspend(me, UPPER, "hsm-suspend-upper-bits-ignored",
                    "hsm-suspend-upper-bits-woken");
}

static void ipi_checks(void) {
  // vCPU 1 sits in WFI; an IPI must wake it.
  int before = hart1_ipis_seen;
  struct sbiret r = sbi_send_ipi(1UL << 1, 0);
  check("ipi-send", r.error == SBI_SUCCESS, r.error);
  uint64_t end = rdtime() + 2000000;
  while (hart1_ipis_seen == before && rdtime() < end)
    ;
  check("ipi-arrives", hart1_ipis_seen == before + 1, hart1_ipis_seen - before);
  r = sbi_send_ipi(1UL << 5, 0);
  check("ipi-bad-hart", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_send_ipi(1, 3);
  check("ipi-bad-base", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_remote_sfence_vma(3, 0, 0, ~0UL);
  check("rfence-sfence-vma", r.error == SBI_SUCCESS, r.error);
  r = sbi_remote_fence_i(~0UL, ~0UL);
  check("rfence-fence-i-all", r.error == SBI_SUCCESS, r.error);
  r = sbi_remote_hfence_gvma(1, 0, 0, ~0UL);
  check("rfence-hfence-unsupported", r.error == SBI_ERR_NOT_SUPPORTED, r.error);
  // System suspend needs every other vCPU stopped; vCPU 1 still runs.
  r = sbi_call(SBI_EXT_SUSP, 0, 0, 0x80200000, 0, 0, 0, 0);
  check("susp-denied-while-others-run", r.error == SBI_ERR_DENIED, r.error);
  // sleep_type is a uint32: 0 with garbage above is still suspend-to-RAM.
  r = sbi_call(SBI_EXT_SUSP, 0, UPPER | 0, 0x80200000, 0, 0, 0, 0);
  check("susp-upper-bits-ignored", r.error == SBI_ERR_DENIED, r.error);
  // Let vCPU 1 finish, and wait for it to stop.
  hart1_go = 1;
  sbi_send_ipi(1UL << 1, 0);
  end = rdtime() + 2000000;
  while (sbi_hart_get_status(1).value != SBI_HSM_STOPPED && rdtime() < end)
    ;
  check("hsm-stopped", sbi_hart_get_status(1).value == SBI_HSM_STOPPED,
        sbi_hart_get_status(1).value);
}

static void console_checks(void) {
  static const char msg[] = "dbcn write works\n";
  struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, sizeof(msg) - 1, (uint64_t)msg,
                             0, 0, 0, 0);
  check("dbcn-write", r.error == SBI_SUCCESS && r.value == sizeof(msg) - 1,
        r.value);
  r = sbi_call(SBI_EXT_DBCN, 0, 16, 0x1000, 0, 0, 0, 0);
  check("dbcn-write-bad-address", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_call(SBI_EXT_DBCN, 0, 16, 0x80000000, 1, 0, 0, 0);
  check("dbcn-write-high-address", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_call(SBI_EXT_SRST, 0, 7, 0, 0, 0, 0, 0);
  check("srst-bad-type", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_call(SBI_EXT_SRST, 0, 0, 5, 0, 0, 0, 0);
  check("srst-bad-reason", r.error == SBI_ERR_INVALID_PARAM, r.error);
  // reset_type and reset_reason are uint32s: reason 5 (reserved) stays
  // reserved with garbage above it, never a vendor-specific reason.
  r = sbi_call(SBI_EXT_SRST, 0, UPPER | 7, 0, 0, 0, 0, 0);
  check("srst-bad-type-upper-bits", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_call(SBI_EXT_SRST, 0, 0, UPPER | 5, 0, 0, 0, 0);
  check("srst-bad-reason-upper-bits", r.error == SBI_ERR_INVALID_PARAM, r.error);
  r = sbi_call(SBI_EXT_SUSP, 0, 5, 0x80200000, 0, 0, 0, 0);
  check("susp-bad-type", r.error == SBI_ERR_INVALID_PARAM, r.error);
  // console_write_byte's byte is a uint8: the low byte of a0 alone.
  printf("dbcn byte: ");
  r = sbi_call(SBI_EXT_DBCN, 2, UPPER | 0x4100 | '!', 0, 0, 0, 0, 0);
  printf("\n");
  check("dbcn-write-byte-upper-bits", r.error == SBI_SUCCESS, r.error);
}

// Suspend the whole VM (SBI SUSP, suspend to RAM, garbage above the
// sleep type) with a timer 5 ms ahead to wake it; it must come back at
// _secondary, never here.
static void system_suspend(void) {
  extern char _secondary[];
  csr_set(sie, 1UL << IRQ_S_TIMER);
  sbi_set_timer(rdtime() + 50000);
  struct sbiret r = sbi_call(SBI_EXT_SUSP, 0, UPPER | 0, (uint64_t)_secondary,
                             SUSPEND_OPAQUE, 0, 0, 0);
  check("susp-no-return", false, r.error);
}

// The end, as finish() does it, but with garbage above the reset type
// (shutdown) and reason: the VM must power off all the same.
static void shutdown_with_upper_bits(void) {
  printf("sbitest: done, %d failed\n", checks_failed);
  uint64_t reason = checks_failed ? SBI_RESET_REASON_FAILURE : SBI_RESET_REASON_NONE;
  struct sbiret r = sbi_call(SBI_EXT_SRST, 0, UPPER | SBI_RESET_SHUTDOWN,
                             UPPER | reason, 0, 0, 0, 0);
  check("srst-upper-bits-ignored", false, r.error);
  finish("sbitest");
}

void guest_main(uint64_t hartid, const void *dtb) {
  printf("sbitest: on vcpu %lu\n", hartid);
  find_sstc(dtb);
  base_checks();
  timer_checks(hartid);
  hsm_checks(hartid);
  ipi_checks();
  console_checks();
  system_suspend();
  finish("sbitest");
}
