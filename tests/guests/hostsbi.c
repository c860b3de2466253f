// tests/guests/hostsbi.c: a hostile guest that calls its SBI (the
// monitor) with bad arguments, and in a storm (tests/system/test_hostile.py).
//
// bootargs "attack=badargs": every extension the monitor implements, and
// some it does not, called with arguments the SBI spec (v2.0) says are
// wrong: hart ids this VM does not have, hart masks out of range,
// addresses outside its RAM or wrapping around, reserved types and
// reasons, function ids that do not exist. Each must come back with the
// error the spec names, and change nothing; one check line each.
//
// bootargs "attack=dbcn-hi": DBCN console calls whose address has its
// upper half (base_addr_hi) set: no such address in any VM.
//
// bootargs "attack=storm": both vCPUs call as fast as they can for ~1 s:
// IPIs to each other, remote fences, timers due at once, status queries,
// retentive suspends, probes. The calls are legal; the monitor must keep
// up without starving the other VMs.
#include "kernel/string.h"
#include "tests/guests/guest.h"

#define EXT_PMU 0x504d55                  // chapter 11: not implemented
#define EXT_CPPC 0x43505043               // chapter 14: not implemented
#define SUSP_NON_RETENTIVE 0x80000000UL

static char line[300];

static struct sbiret call(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1,
                          uint64_t a2) {
  return sbi_call(eid, fid, a0, a1, a2, 0, 0, 0);
}

// The raw a0 of a legacy call (chapter 5: it returns in a0 only).
static long legacy(uint64_t eid) {
  return sbi_call(eid, 0, 0, 0, 0, 0, 0, 0).error;
}

// One check: the call returned error `err`.
static void expect(const char *name, struct sbiret r, long err) {
  check(name, r.error == err, r.error);
}

static volatile int parked;

// vCPU 1: for badargs (opaque 1) it only has to be running; for the
// storm (opaque = when to stop) it calls as fast as it can.
void guest_hart(uint64_t hartid, uint64_t opaque) {
  if (opaque == 1) {                      // badargs: sit still until told
    parked = 1;
    while (parked == 1)
      ;
    return;
  }
  irqs_on();                              // storm
  uint64_t end = opaque;
  while (rdtime() < end) {
    sbi_send_ipi(1, 0);
    sbi_remote_sfence_vma(3, 0, 0, ~0UL);
    sbi_set_timer(rdtime());
    sbi_hart_get_status(0);
  }
  irqs_off();
}

// Every bad argument, one check each (see the top of this file).
static void badargs(void) {
  uint64_t ram = 0x80200000UL;            // our own code: a legal address
  expect("base-no-such-fid", call(SBI_EXT_BASE, 7, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
  expect("base-fid-huge", call(SBI_EXT_BASE, ~0UL, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
  struct sbiret r = call(SBI_EXT_BASE, 3, 0xdeadbeef, 0, 0);
  check("probe-unknown", r.error == 0 && r.value == 0, r.value);
  r = call(SBI_EXT_BASE, 3, EXT_PMU, 0, 0);
  check("probe-pmu", r.error == 0 && r.value == 0, r.value);
  uint64_t unknown[] = {EXT_PMU, EXT_CPPC, 0x08000000, 0x09000000, 0x0a000000,
                        0xffffffff, 0x735049 + 1};
  for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
    snprintf(line, sizeof(line), "unknown-ext-%lx", unknown[i]);
    expect(line, call(unknown[i], 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
  }
  for (uint64_t eid = 3; eid <= 7; eid++) {  // legacy calls we do not have
    snprintf(line, sizeof(line), "legacy-%lu", eid);
    check(line, legacy(eid) == SBI_ERR_NOT_SUPPORTED, legacy(eid));
  }

  expect("time-no-such-fid", call(SBI_EXT_TIME, 1, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
  expect("ipi-no-such-fid", call(SBI_EXT_IPI, 1, 1, 0, 0), SBI_ERR_NOT_SUPPORTED);
  expect("ipi-mask-too-wide", sbi_send_ipi(1UL << 2, 0), SBI_ERR_INVALID_PARAM);
  expect("ipi-mask-all-ones", sbi_send_ipi(~0UL, 0), SBI_ERR_INVALID_PARAM);
  expect("ipi-base-huge", sbi_send_ipi(1, 1UL << 63), SBI_ERR_INVALID_PARAM);
  expect("ipi-base-63", sbi_send_ipi(1, 63), SBI_ERR_INVALID_PARAM);
  expect("ipi-base-1-mask-2", sbi_send_ipi(2, 1), SBI_ERR_INVALID_PARAM);
  csr_clear(sip, 1UL << IRQ_S_SOFT);
  expect("rfence-mask-too-wide", sbi_remote_sfence_vma(1UL << 5, 0, 0, ~0UL),
         SBI_ERR_INVALID_PARAM);
  r = sbi_remote_sfence_vma(1, 0, ~0UL - 10, ~0UL);
  check("rfence-range-wraps", r.error == 0 || r.error == SBI_ERR_INVALID_ADDRESS, r.error);
  for (uint64_t fid = 3; fid <= 7; fid++) {  // hfence (3..6): we are no hypervisor
    snprintf(line, sizeof(line), "rfence-fid-%lu", fid);
    expect(line, call(SBI_EXT_RFENCE, fid, 1, 0, 0), SBI_ERR_NOT_SUPPORTED);
  }

  expect("hsm-start-id-huge", sbi_hart_start(~0UL, ram, 0), SBI_ERR_INVALID_PARAM);
  expect("hsm-start-id-2", sbi_hart_start(2, ram, 0), SBI_ERR_INVALID_PARAM);
  expect("hsm-start-addr-0", sbi_hart_start(1, 0, 0), SBI_ERR_INVALID_ADDRESS);
  expect("hsm-start-addr-uart", sbi_hart_start(1, 0x10000000, 0), SBI_ERR_INVALID_ADDRESS);
  expect("hsm-start-addr-max", sbi_hart_start(1, ~0UL, 0), SBI_ERR_INVALID_ADDRESS);
  expect("hsm-start-self", sbi_hart_start(0, ram, 0), SBI_ERR_ALREADY_AVAILABLE);
  expect("hsm-status-id-huge", sbi_hart_get_status(~0UL), SBI_ERR_INVALID_PARAM);
  r = sbi_hart_get_status(1);
  check("hsm-1-still-stopped", r.error == 0 && r.value == SBI_HSM_STOPPED, r.value);
  expect("hsm-suspend-reserved", call(SBI_EXT_HSM, 3, 1, ram, 0), SBI_ERR_INVALID_PARAM);
  expect("hsm-suspend-reserved-nr", call(SBI_EXT_HSM, 3, SUSP_NON_RETENTIVE + 1, ram, 0),
         SBI_ERR_INVALID_PARAM);
  r = call(SBI_EXT_HSM, 3, 0x10000000, ram, 0);  // platform-specific: none here
  check("hsm-suspend-platform", r.error == SBI_ERR_INVALID_PARAM ||
        r.error == SBI_ERR_NOT_SUPPORTED, r.error);
  expect("hsm-suspend-resume-0", call(SBI_EXT_HSM, 3, SUSP_NON_RETENTIVE, 0, 0),
         SBI_ERR_INVALID_ADDRESS);
  expect("hsm-no-such-fid", call(SBI_EXT_HSM, 4, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);

  expect("srst-no-such-fid", call(SBI_EXT_SRST, 1, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
  expect("srst-type-reserved", call(SBI_EXT_SRST, 0, 3, 0, 0), SBI_ERR_INVALID_PARAM);
  expect("srst-reason-reserved", call(SBI_EXT_SRST, 0, 0, 2, 0), SBI_ERR_INVALID_PARAM);

  expect("dbcn-write-addr-0", call(SBI_EXT_DBCN, 0, 16, 0, 0), SBI_ERR_INVALID_PARAM);
  expect("dbcn-write-wraps", call(SBI_EXT_DBCN, 0, 32, ~0UL - 15, 0),
         SBI_ERR_INVALID_PARAM);
  expect("dbcn-write-past-ram", call(SBI_EXT_DBCN, 0, 64, 0x80000000UL + (8UL << 20) - 32, 0),
         SBI_ERR_INVALID_PARAM);
  memset(line, 'x', sizeof(line));
  line[255] = '\n';
  r = call(SBI_EXT_DBCN, 0, 1UL << 40, (uint64_t)line, 0);
  check("dbcn-write-huge-n", r.error == 0 && r.value > 0 && r.value <= 256, r.value);
  expect("dbcn-read-addr-0", call(SBI_EXT_DBCN, 1, 8, 0, 0), SBI_ERR_INVALID_PARAM);
  expect("dbcn-read-uart", call(SBI_EXT_DBCN, 1, 8, 0x10000000, 0), SBI_ERR_INVALID_PARAM);
  expect("dbcn-no-such-fid", call(SBI_EXT_DBCN, 3, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);

  expect("susp-no-such-fid", call(SBI_EXT_SUSP, 1, 0, ram, 0), SBI_ERR_NOT_SUPPORTED);
  expect("susp-type-reserved", call(SBI_EXT_SUSP, 0, 1, ram, 0), SBI_ERR_INVALID_PARAM);
  expect("susp-resume-0", call(SBI_EXT_SUSP, 0, 0, 0, 0), SBI_ERR_INVALID_ADDRESS);
  check("start-1", start_hart(1, 1) == 0, 0);
  while (parked == 0)
    ;
  expect("susp-not-alone", call(SBI_EXT_SUSP, 0, 0, ram, 0), SBI_ERR_DENIED);
  parked = 2;
}

// Spec 12.1: base_addr_hi holds the upper XLEN bits of the address; on
// RV64 anything there names an address at or above 2^64, which no VM has.
static void dbcn_high_half(void) {
  snprintf(line, sizeof(line), "hostsbi: the monitor wrote this\n");
  expect("dbcn-write-hi-bit-32", call(SBI_EXT_DBCN, 0, 32, (uint64_t)line, 1UL << 32),
         SBI_ERR_INVALID_PARAM);
  expect("dbcn-write-hi-bit-0", call(SBI_EXT_DBCN, 0, 32, (uint64_t)line, 1),
         SBI_ERR_INVALID_PARAM);
  expect("dbcn-read-hi-bit-32", call(SBI_EXT_DBCN, 1, 8, (uint64_t)line, 1UL << 32),
         SBI_ERR_INVALID_PARAM);
}

// vCPU 0's side of the storm; vCPU 1 runs guest_hart above.
static void storm(void) {
  uint64_t end = rdtime() + 10000000;     // 1 s at 10 MHz
  check("start-1", start_hart(1, end) == 0, 0);
  irqs_on();
  uint64_t calls = 0;
  while (rdtime() < end) {
    sbi_send_ipi(3, 0);
    sbi_remote_fence_i(~0UL, ~0UL);       // base -1: every hart
    sbi_probe(SBI_EXT_HSM);
    // A retentive suspend, woken by vCPU 1's next IPI or, after the last
    // one, by our own timer 1 ms on (set with interrupts off, so that it
    // cannot be taken, and cancelled, before we suspend).
    irqs_off();
    sbi_set_timer(rdtime() + 10000);
    sbi_hart_suspend(0, 0, 0);
    irqs_on();                            // take what woke us
    sbi_call(SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, 0, 0, 0);
    calls += 6;
  }
  irqs_off();
  printf("hostsbi: %lu calls in the storm\n", calls);
  check("storm", calls > 0, (long)calls);
}

void guest_main(uint64_t hartid, const void *dtb) {
  char a[16] = "";
  bootarg_str("attack", a, sizeof(a));
  printf("hostsbi: attack %s\n", a);
  if (strcmp(a, "badargs") == 0) {
    badargs();
  } else if (strcmp(a, "dbcn-hi") == 0) {
    dbcn_high_half();
  } else if (strcmp(a, "storm") == 0) {
    storm();
  } else {
    printf("hostsbi: no attack '%s'\n", a);
    checks_failed++;
  }
  finish("hostsbi");
}
