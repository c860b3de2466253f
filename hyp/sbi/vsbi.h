// hyp/sbi/vsbi.h: the monitor as its guests' SBI firmware.
//
// A guest kernel asks its "firmware" for services with ecall, exactly as
// the monitor asks OpenSBI (kernel/sbi.h). Under the monitor that ecall
// traps to HS-mode (cause 10, ecall from VS-mode) and lands in vsbi_call,
// which looks the extension id (a7) up in a table and calls the handler,
// one file per group of extensions, the way KVM does it:
//
//   vsbi.c           the table and BASE (spec ch. 4)
//   vsbi_hsm.c       HSM: start, stop, suspend vCPUs (ch. 9)
//   vsbi_ipi.c       TIME, IPI and RFENCE (ch. 6, 7, 8), legacy set_timer
//   vsbi_system.c    SRST and SUSP: the VM's own power button (ch. 10, 13),
//                    legacy shutdown
//   vsbi_console.c   DBCN and the legacy console (ch. 12, 5)
//   vsbi_disco.c     Disco's monitor calls (ours: Disco 4.3)
//   vsbi_test.c      test-only calls (ours, in test builds)
//
// Guests see vCPU numbers as their hart ids, never the host's.
#ifndef HYP_VSBI_H
#define HYP_VSBI_H

#include "hyp/cpu/vcpu.h"
#include "kernel/sbi.h"

// The spec version and implementation id we report (BASE).
#define VSBI_SPEC_VERSION ((2UL << 24) | 0)       // SBI v2.0
#define VSBI_IMPL_ID      0x44495343UL            // "DISC": ours
#define VSBI_IMPL_VERSION 1

// One row of the dispatch table: extension ids [eid_first, eid_last].
struct vsbi_ext {
  uint64_t eid_first, eid_last;
  const char *name;
  // Handle function fid with the arguments in v->x[10..15]. The returned
  // error/value go to the guest's a0/a1, unless the handler set
  // v->sbi_no_return (it moved the guest somewhere else itself).
  struct sbiret (*call)(struct vcpu *v, uint64_t eid, uint64_t fid);
};

// The extension groups (each defined in its own file).
extern const struct vsbi_ext vsbi_base, vsbi_legacy_timer,
    vsbi_legacy_console, vsbi_legacy_shutdown, vsbi_time, vsbi_ipi,
    vsbi_rfence, vsbi_hsm, vsbi_srst, vsbi_dbcn, vsbi_susp, vsbi_disco,
    vsbi_test;

// Handle the SBI call v just made (its ecall trapped).
void vsbi_call(struct vcpu *v);

// Turn an SBI hart mask (spec 3.1: bit i = hart base + i; base -1 = all)
// into a bitmap of this VM's vCPUs. SBI_ERR_INVALID_PARAM if it names a
// vCPU the VM does not have.
long vsbi_hart_mask(struct vcpu *v, uint64_t mask, uint64_t base,
                    uint64_t *vcpus);

// Number of rows in the table, and a row's index, for the counters.
#define VSBI_NEXT 13
const char *vsbi_ext_name(int index);

#endif
