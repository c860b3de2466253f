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
//   vsbi_time.c      TIME (ch. 6), legacy set_timer
//   vsbi_ipi.c       IPI (ch. 7)
//   vsbi_rfence.c    RFENCE (ch. 8), on lab 2's TLB code (hyp/mem/tlb.h)
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

// Handle the SBI call v just made (its ecall trapped).
void vsbi_call(struct vcpu *v);

// Turn an SBI hart mask (spec 3.1: bit i = hart base + i; base -1 = all)
// into a bitmap of this VM's vCPUs. SBI_ERR_INVALID_PARAM if it names a
// vCPU the VM does not have.
long vsbi_hart_mask(struct vcpu *v, uint64_t mask, uint64_t base,
                    uint64_t *vcpus);

// Do `what` to every vCPU the caller's hart mask (a0, a1) names. Returns
// SBI_ERR_INVALID_PARAM, without doing anything, if it names one the VM
// does not have.
long vsbi_for_each_target(struct vcpu *v,
                          void (*what)(struct vcpu *caller, struct vcpu *t));

// The rows of the dispatch table (at most MAX_SBI_EXTS), and a row's
// name, for the counters (struct vcpu's sbi_by_ext counts per row).
int vsbi_ext_count(void);
const char *vsbi_ext_name(int index);

#endif
