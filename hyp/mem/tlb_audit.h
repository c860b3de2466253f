// hyp/mem/tlb_audit.h: the software TLB auditor (lab 2).
//
// QEMU 7.2 flushes a hart's whole TLB every time it enters or leaves the
// guest, and on every fence whatever its operands, so a missing fence is
// invisible to a guest there except in one case (another hart changes a
// G-stage entry while this one stays in the guest; see the cross-hart
// test). The auditor is how a missing fence shows anyway: a model, per
// hart, of what a real TLB may cache, checked before every guest entry.
//
// Built in with `make AUDIT=1` (`make test` and `make grade` do); off by
// default. What it models and what it does not: hyp/mem/tlb_audit.c.
#ifndef HYP_MEM_TLB_AUDIT_H
#define HYP_MEM_TLB_AUDIT_H

#include "hyp/mem/tlb.h"

#define AUDIT_ALL (~0UL)

// Is the auditor built in?
extern const bool tlb_audit_on;

// Violations seen so far, machine-wide.
uint64_t audit_violations(void);

// v enters the guest on this hart with VMID vmid: check that no
// translation this hart may hold is stale for it, then record what it may
// cache from now on.
void audit_enter(struct vcpu *v, uint16_t vmid);
// v left the guest on this hart.
void audit_exit(struct vcpu *v);
// v is loaded on this hart (its VS CSRs and hgatp): VS-stage fences from
// now on act for it.
void audit_load(struct vcpu *v);

// This hart ran HFENCE.GVMA for gpa (AUDIT_ALL: every address) and vmid
// (AUDIT_ALL: every VMID).
void audit_gvma(uint64_t gpa, uint64_t vmid);
// This hart ran HFENCE.VVMA for every page of [va, va + size) (size ~0:
// every address) and asid (AUDIT_ALL: every ASID), with VMID vmid in hgatp.
void audit_vvma(uint64_t va, uint64_t size, uint64_t asid, uint16_t vmid);

// pm's mapping of gpa changed (removed, downgraded, retargeted).
void audit_pmap_change(struct pmap *pm, uint64_t gpa);
// The shootdown of pm's gpa returned, so the old machine page may be
// reused: no hart may be in the guest with the old translation still
// cached, and from now on every hart must fence it before it enters.
void audit_page_reuse(struct pmap *pm, uint64_t gpa);

// A guest RFENCE asked vCPU t, for `from`, to fence range r (all: t's
// queue was full, so t will fence its whole VS stage); called under
// t->tlb.lock, so the auditor sees requests in the order the queue does.
// And the monitor's wait for it returned (t has fenced, or is out of its
// guest).
void audit_rfence(struct vcpu *from, struct vcpu *t, struct tlb_range r,
                  bool all);
void audit_rfence_done(struct vcpu *from, struct vcpu *t);

#endif
