// tests/guests/rt.c: the test guests' runtime (see tests/guests/guest.h).
#include "kernel/console.h"
#include "tests/guests/guest.h"

volatile uint64_t timer_irqs[8], soft_irqs[8];
int checks_failed;

extern char _secondary[];

// A guest that uses the PLIC defines this; the others never enable
// external interrupts, so this default never runs.
__attribute__((weak)) void guest_external_irq(void) {
  printf("guest: external interrupt, but no handler\n");
  finish("guest");
}

// The boot vCPU: console first, then the guest.
void guest_boot(uint64_t hartid, const void *dtb) {
  console_init();
  guest_main(hartid, dtb);
  finish("guest");
}

void guest_secondary(uint64_t hartid, uint64_t opaque) {
  guest_hart(hartid, opaque);
  sbi_hart_stop();
}

long start_hart(uint64_t hart, uint64_t opaque) {
  return sbi_hart_start(hart, (uint64_t)_secondary, opaque).error;
}

void irqs_on(void) {
  csr_set(sie, (1UL << IRQ_S_SOFT) | (1UL << IRQ_S_TIMER));
  csr_set(sstatus, SSTATUS_SIE);
}

void irqs_off(void) { csr_clear(sstatus, SSTATUS_SIE); }

// Called from guest_trapvec; returns where to resume.
uint64_t guest_trap(uint64_t scause, uint64_t sepc, uint64_t stval) {
  uint64_t h = hart_id();
  if (scause == (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
    timer_irqs[h]++;
    sbi_set_timer(~0UL);                  // clears the pending timer
    return sepc;
  }
  if (scause == (SCAUSE_INTERRUPT | IRQ_S_SOFT)) {
    soft_irqs[h]++;
    csr_clear(sip, 1UL << IRQ_S_SOFT);    // acknowledge the IPI
    return sepc;
  }
  if (scause == (SCAUSE_INTERRUPT | IRQ_S_EXT)) {
    guest_external_irq();
    return sepc;
  }
  printf("guest: unexpected trap scause %lx sepc %lx stval %lx\n", scause,
         sepc, stval);
  finish("guest");
}

void check(const char *name, bool ok, long got) {
  if (ok) {
    printf("check %s: ok\n", name);
  } else {
    printf("check %s: FAILED (got %ld)\n", name, got);
    checks_failed++;
  }
}

void finish(const char *who) {
  printf("%s: done, %d failed\n", who, checks_failed);
  sbi_system_reset(SBI_RESET_SHUTDOWN, checks_failed ? SBI_RESET_REASON_FAILURE
                                                     : SBI_RESET_REASON_NONE);
  for (;;)
    wfi();
}
