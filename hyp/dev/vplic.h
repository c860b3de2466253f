// hyp/dev/vplic.h: a virtual PLIC, the register model only.
//
// The PLIC (Platform-Level Interrupt Controller) collects the interrupt
// lines of the devices ("sources") and hands each interrupt to one of the
// "contexts" that want it; a context is one privilege mode of one hart.
// QEMU's `virt` machine puts one at 0x0c000000 ("sifive,plic-1.0.0",
// "riscv,plic0"); a guest finds ours at the same place. The register map
// and the rules come from the RISC-V Platform-Level Interrupt Controller
// Specification 1.0.0 (github.com/riscv/riscv-plic-spec); hyp/dev/vplic.c
// cites its sections by title.
//
// This module is a pure state machine: it knows nothing of vCPUs, traps,
// CSRs or locks. The monitor decodes a guest's load or store to the PLIC
// window, calls vplic_read() / vplic_write() with the offset from the
// window's base, and afterwards asks vplic_pending() for each context it
// emulates, turning the answer into hvip.VSEIP for the vCPU that owns the
// context. The caller holds the VM's device lock (vm->dev_lock) around
// every call.
//
// Contexts are numbered as QEMU's virt machine numbers them: two per hart,
// context 2*h for hart h's M mode and 2*h+1 for its S mode. A guest only
// ever uses the S-mode ones, but keeping the numbering makes our device
// tree look like QEMU's, which guests are tested against.
#ifndef HYP_VPLIC_H
#define HYP_VPLIC_H

#include "kernel/types.h"

// QEMU virt says riscv,ndev = 0x5f: sources 1..95, plus the absent 0.
#define VPLIC_NSOURCES 96
// Two contexts per vCPU (M and S mode, numbered as on QEMU virt), for up
// to 16 vCPUs.
#define VPLIC_MAX_CONTEXTS 32
// 32-bit words needed for one bit per source (pending, enable, ...).
#define VPLIC_NWORDS ((VPLIC_NSOURCES + 31) / 32)
// 3 priority bits: levels 0..7, as on QEMU virt.
#define VPLIC_PRIO_MASK 0x7

// Where the guest finds the PLIC (guest-physical), as on QEMU virt. The
// window is big enough for 1024 contexts; an access inside it to a context
// this PLIC does not have is an error (see vplic_read).
#define VPLIC_GPA_BASE 0x0c000000UL
#define VPLIC_GPA_SIZE 0x600000UL

// All the state of one virtual PLIC. Per-source bits are packed as the
// PLIC packs them in its registers: source s is bit s%32 of word s/32.
struct vplic {
  // Set by vplic_init when the VM is made; read-only after.
  int nctx;                              // contexts 0..nctx-1 exist

  // The caller's lock (vm->dev_lock) must be held when using these.
  uint32_t priority[VPLIC_NSOURCES];     // 0..7; priority[0] stays 0
  uint32_t pending[VPLIC_NWORDS];        // IP bits: requests awaiting a claim
  uint32_t claimed[VPLIC_NWORDS];        // in service: claimed, not completed
  uint32_t level[VPLIC_NWORDS];          // the device lines, as last set
  uint32_t enable[VPLIC_MAX_CONTEXTS][VPLIC_NWORDS];   // IE bits per context
  uint32_t threshold[VPLIC_MAX_CONTEXTS];              // 0..7
};

// Reset: every priority, bit and threshold 0, and ncontexts contexts
// (clamped to 0..VPLIC_MAX_CONTEXTS; the caller checks its own numbers).
void vplic_init(struct vplic *p, int ncontexts);

// A guest's load (vplic_read) or store (vplic_write) to the PLIC window:
// off is the offset from the PLIC's base, width the access size in bytes.
// Return 0, or -1 for an access the PLIC does not have (a width other than
// 4, a misaligned offset, a hole in the map, a source or context beyond
// ours); on -1 nothing changed and *value was not written. Reading a
// claim register claims (it has a side effect), so a read is not "const".
int vplic_read(struct vplic *p, uint64_t off, int width, uint32_t *value);
int vplic_write(struct vplic *p, uint64_t off, int width, uint32_t value);

// A device's interrupt line changed (src 1..VPLIC_NSOURCES-1); lines are
// level-triggered (see "the gateway" in hyp/dev/vplic.c). Other source numbers
// are ignored.
void vplic_set_level(struct vplic *p, int src, bool level);

// A claim and a completion by context ctx, as a load of its claim
// register and a store to it do (for Disco's monitor call that takes an
// interrupt in one trap: hyp/dev/mmio.h). vplic_claim returns the source
// id, or 0 for none (or no such context); a completion that the spec says
// is ignored is ignored.
uint32_t vplic_claim(struct vplic *p, int ctx);
void vplic_complete(struct vplic *p, int ctx, uint32_t id);
// Does context ctx have an interrupt to take now: some pending source,
// enabled for ctx, with priority > ctx's threshold, not in service? That
// is exactly "a claim by ctx would return nonzero". The monitor turns this
// into hvip.VSEIP for the vCPU that owns the context. False for a context
// that does not exist.
bool vplic_pending(const struct vplic *p, int ctx);

#endif
