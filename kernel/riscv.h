// kernel/riscv.h: control and status registers (CSRs) and a few
// instructions that C cannot express.
//
// Where to read: RISC-V Privileged Architecture spec (version 20211203 or
// later), chapter 2 "Control and Status Registers" for the CSR numbers,
// chapter 4 "Supervisor-Level ISA" for the s* registers and chapter 8
// "Hypervisor Extension" (H) for the h* and vs* registers.
//
// Privilege levels, as this project uses them:
//
//    M-mode   OpenSBI, the firmware (we never run here)
//    HS-mode  the monitor (hyp/): S-mode with the H-extension present
//    VS-mode  a guest kernel, running on the monitor   (V=1)
//    VU-mode  a guest's user programs                  (V=1)
//
// A guest kernel is an S-mode program: on the bare machine it runs in
// HS-mode (without touching the h* CSRs) and on the monitor in VS-mode,
// where its s* CSR accesses are silently redirected to the vs* copies
// (H-extension spec, "Hypervisor and Virtual Supervisor CSRs").
//
// The constants are shared with assembly (.S files are run through the C
// preprocessor with __ASSEMBLY__ defined): the C-only parts are fenced
// off below, and UL(x) gives C an unsigned long where the assembler, which
// knows no suffixes, gets a plain number.
#ifndef KERNEL_RISCV_H
#define KERNEL_RISCV_H

#ifdef __ASSEMBLY__
#define UL(x) (x)
#else
#define UL(x) (x##UL)
#include "kernel/types.h"

// csr_read(CSR) / csr_write(CSR, v) / csr_set / csr_clear: the CSR
// instructions (Zicsr). The CSR must be known when the code is assembled,
// so these have to be macros: #csr turns the name into a string that is
// pasted into the instruction ("csrr %0, sstatus").
// csr_set/csr_clear set or clear the bits that are 1 in `bits`.
#define csr_read(csr)                                      \
  ({                                                       \
    uint64_t v_;                                           \
    asm volatile("csrr %0, " #csr : "=r"(v_));             \
    v_;                                                    \
  })
#define csr_write(csr, val) \
  asm volatile("csrw " #csr ", %0" ::"rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) \
  asm volatile("csrs " #csr ", %0" ::"rK"((uint64_t)(bits)) : "memory")
#define csr_clear(csr, bits) \
  asm volatile("csrc " #csr ", %0" ::"rK"((uint64_t)(bits)) : "memory")

#endif   // !__ASSEMBLY__

// The CSRs of the H-extension, by number (privileged spec, table 2.4).
// gcc 12 will not accept "h" in -march, and older assemblers do not know
// these names, so we name them by number: "csrr a0, 0x600" is hstatus.
#define CSR_HSTATUS    0x600
#define CSR_HEDELEG    0x602
#define CSR_HIDELEG    0x603
#define CSR_HIE        0x604
#define CSR_HTIMEDELTA 0x605
#define CSR_HCOUNTEREN 0x606
#define CSR_HGEIE      0x607
#define CSR_HENVCFG    0x60a
#define HENVCFG_STCE   (UL(1) << 63)   // Sstc for the guest: its own vstimecmp
#define CSR_HTVAL      0x643
#define CSR_HIP        0x644
#define CSR_HVIP       0x645
#define CSR_HTINST     0x64a
#define CSR_HGATP      0x680
// hgatp's fields (privileged spec 8.2.10): MODE (63:60), VMID (57:44), PPN.
#define HGATP_MODE_SV39X4 (UL(8) << 60)
#define HGATP_VMID_SHIFT  44
#define HGATP_VMID_MASK   (UL(0x3fff) << HGATP_VMID_SHIFT)
#define CSR_HGEIP      0xe12
// The VS-level copies of the supervisor CSRs (privileged spec, table 2.4).
#define CSR_VSSTATUS   0x200
#define CSR_VSIE       0x204
#define CSR_VSTVEC     0x205
#define CSR_VSSCRATCH  0x240
#define CSR_VSEPC      0x241
#define CSR_VSCAUSE    0x242
#define CSR_VSTVAL     0x243
#define CSR_VSIP       0x244
#define CSR_VSATP      0x280
// satp's (and vsatp's) fields (privileged spec 4.1.11): MODE (63:60), PPN.
#define SATP_MODE_SHIFT 60
#define SATP_MODE_SV39  (UL(8) << SATP_MODE_SHIFT)
#define SATP_PPN_MASK   ((UL(1) << 44) - 1)
// Sstc: the supervisor timer compare registers.
#define CSR_STIMECMP   0x14d
#define CSR_VSTIMECMP  0x24d

#ifndef __ASSEMBLY__
// The same four operations for a CSR given by number (one of the CSR_*
// constants above). The number is pasted into the instruction too.
#define csr_read_num(num)                                  \
  ({                                                       \
    uint64_t v_;                                           \
    asm volatile("csrr %0, %1" : "=r"(v_) : "i"(num));     \
    v_;                                                    \
  })
#define csr_write_num(num, val) \
  asm volatile("csrw %0, %1" ::"i"(num), "r"((uint64_t)(val)) : "memory")
#define csr_set_num(num, bits) \
  asm volatile("csrs %0, %1" ::"i"(num), "r"((uint64_t)(bits)) : "memory")
#define csr_clear_num(num, bits) \
  asm volatile("csrc %0, %1" ::"i"(num), "r"((uint64_t)(bits)) : "memory")
#endif   // !__ASSEMBLY__

// sstatus bits (privileged spec 4.1.1).
#define SSTATUS_SIE  (UL(1) << 1)    // supervisor interrupts enabled
#define SSTATUS_SPIE (UL(1) << 5)    // SIE before the last trap
#define SSTATUS_SPP  (UL(1) << 8)    // privilege before the last trap: 1 = S
#define SSTATUS_SUM  (UL(1) << 18)   // S-mode may touch user pages
#define SSTATUS_FS   (UL(3) << 13)   // floating-point state: 0 off, 1 initial,
#define SSTATUS_FS_INITIAL (UL(1) << 13) //   2 clean, 3 dirty (spec 3.1.6.6)

// scounteren bits (privileged spec 4.1.5): counters U-mode may read.
#define SCOUNTEREN_TM (1UL << 1)   // time (rdtime)

// hstatus bits (privileged spec 8.2.1, "Hypervisor Status Register").
#define HSTATUS_GVA  (UL(1) << 6)    // htval/stval holds a guest virtual addr
#define HSTATUS_SPV  (UL(1) << 7)    // V before the last trap: 1 = from guest
#define HSTATUS_SPVP (UL(1) << 8)    // guest's privilege before the trap
#define HSTATUS_HU   (UL(1) << 9)    // HLV/HSV allowed in U-mode
#define HSTATUS_VTVM (UL(1) << 20)   // trap guest sfence.vma / satp access
#define HSTATUS_VTW  (UL(1) << 21)   // trap guest wfi
#define HSTATUS_VTSR (UL(1) << 22)   // trap guest sret

// Interrupt bits, as in sie/sip/hie/hip/hvip (privileged spec 4.1.3, 8.2.3).
#define IRQ_S_SOFT   1
#define IRQ_VS_SOFT  2
#define IRQ_S_TIMER  5
#define IRQ_VS_TIMER 6
#define IRQ_S_EXT    9
#define IRQ_VS_EXT   10
#define IRQ_SG_EXT   12

// scause: the top bit says "interrupt"; the rest is the cause number.
// Exception causes (privileged spec table 4.2, and table 8.6 for the guest
// ones, 20-23).
#define SCAUSE_INTERRUPT        (UL(1) << 63)
#define EXC_INST_MISALIGNED     0
#define EXC_INST_ACCESS         1
#define EXC_ILLEGAL_INST        2
#define EXC_BREAKPOINT          3
#define EXC_LOAD_MISALIGNED     4
#define EXC_LOAD_ACCESS         5
#define EXC_STORE_MISALIGNED    6
#define EXC_STORE_ACCESS        7
#define EXC_ECALL_U             8
#define EXC_ECALL_S             9    // from HS-mode (or S-mode)
#define EXC_ECALL_VS            10   // from a guest kernel
#define EXC_INST_PAGE_FAULT     12
#define EXC_LOAD_PAGE_FAULT     13
#define EXC_STORE_PAGE_FAULT    15
#define EXC_INST_GUEST_PAGE_FAULT  20
#define EXC_LOAD_GUEST_PAGE_FAULT  21
#define EXC_VIRTUAL_INST           22
#define EXC_STORE_GUEST_PAGE_FAULT 23

#ifndef __ASSEMBLY__
// Read the time CSR: ticks of the platform timer since reset, counted at
// the rate /cpus/timebase-frequency gives (10 MHz on QEMU virt).
static inline uint64_t rdtime(void) {
  uint64_t t;
  asm volatile("rdtime %0" : "=r"(t));
  return t;
}

// The hart id. Every program built on kernel/ keeps its hart id in the
// tp ("thread pointer") register: the entry code puts a0 there, and no C
// code changes it (gcc does not use tp for anything in freestanding code).
static inline uint64_t hart_id(void) {
  uint64_t id;
  asm volatile("mv %0, tp" : "=r"(id));
  return id;
}

// The hypervisor fences (privileged spec 8.3.2). gcc 12 rejects "h" in
// -march, so each is assembled with the H-extension switched on for that
// one instruction (".option arch, +h").
// hfence_gvma(gpa): forget cached G-stage translations of guest-physical
// address gpa, for every VMID (rs2 = x0). The instruction takes gpa >> 2
// (guest-physical addresses are up to 2 bits wider than virtual ones).
static inline void hfence_gvma(uint64_t gpa) {
  asm volatile(".option push\n.option arch, +h\n"
               "hfence.gvma %0, zero\n.option pop"
               ::"r"(gpa >> 2) : "memory");
}
// hfence_gvma_all(): forget every G-stage translation, all VMIDs.
static inline void hfence_gvma_all(void) {
  asm volatile(".option push\n.option arch, +h\n"
               "hfence.gvma zero, zero\n.option pop" ::: "memory");
}
// hfence_vvma_all(): forget every VS-stage translation (guest virtual to
// guest physical) of the VMID in hgatp.
static inline void hfence_vvma_all(void) {
  asm volatile(".option push\n.option arch, +h\n"
               "hfence.vvma zero, zero\n.option pop" ::: "memory");
}

// Wait for an interrupt (a hint: may return at any time).
static inline void wfi(void) { asm volatile("wfi"); }

// PAUSE (the Zihintpause hint, unprivileged spec ch. 10): "I am spinning,
// waiting for another hart". Its encoding is a FENCE W,0, which a hart
// without the extension runs as a no-op, so it is written as a number.
// The NUMA cost model (tools/numa-model/) charges no time for a block of
// instructions that holds one: a spin-wait's length under QEMU says how
// long the host took to run another QEMU thread, not how long the
// modelled machine would wait. Spin loops put it first in each round,
// do { pause(); } while (...);, so that its block holds the round's loads
// too; the compiler may still end that block at the test's first branch,
// and the instructions after it are charged (a few of a round's dozen).
static inline void pause(void) { asm volatile(".4byte 0x0100000f"); }

// Order all earlier memory accesses before all later ones.
static inline void fence(void) { asm volatile("fence rw, rw" ::: "memory"); }

#endif   // !__ASSEMBLY__

#endif
