// hyp/dev/decode.h: decode a guest load or store, for MMIO emulation.
//
// A guest that touches a device register does so with an ordinary load or
// store. The device is not in the guest's pmap, so the access stops with a
// guest-page fault, and the monitor must carry it out by hand. To do that
// it needs five facts about the instruction, and nothing else:
//
//   guest:   lw a5, 8(a0)         a0+8 is a UART register
//   trap:    load guest-page fault, htval = guest-physical address >> 2
//   decode:  { write=false, width=4, sign_extend=true, reg=15, insn_len=4 }
//   device:  vuart_read(vm, &vm->uart, offset, 4, &value)
//   monitor: x15 = mmio_extend(&a, value); sepc += 4
//
// The decoder turns instruction bits into a struct mmio_access, which
// hyp/dev/mmio.c consumes: it hands a device only the register offset,
// the width and the value, so devices never see instructions (Bao draws
// the same line). Where the bits come from is the trap handler's business:
// htinst when the hardware fills it in (decode_htinst), otherwise the
// instruction read from guest memory with HLVX.HU (decode_mmio).
#ifndef HYP_DECODE_H
#define HYP_DECODE_H

#include "kernel/types.h"

// One decoded guest memory access (mmio_access in hyp/dev/mmio.c turns it
// into a device read or write).
struct mmio_access {
  bool write;        // store (true) or load (false)
  int width;         // bytes: 1, 2, 4 or 8
  bool sign_extend;  // loads: LB/LH/LW (and C.LW, C.LWSP) sign-extend to
                     // 64 bits; LBU/LHU/LWU and LD do not
  int reg;           // the integer register: rd for a load, rs2 for a store (0..31)
  int insn_len;      // 2 (compressed) or 4: how far to advance sepc after emulating
};

// Decode the raw instruction `insn` (for a 16-bit instruction, the low 16
// bits; the upper bits are ignored). Returns 0 and fills *out, or -1 if it
// is not an integer load or store the monitor emulates for MMIO (a
// floating-point load or store, an atomic (AMO, LR, SC), anything else).
int decode_mmio(uint32_t insn, struct mmio_access *out);

// Decode a transformed instruction from htinst (nonzero, bit 0 = 1; the
// privileged spec's "Transformed Instruction or Pseudoinstruction for
// mtinst or htinst"). Bit 1 == 0 means the original instruction was 16
// bits (so insn_len = 2), bit 1 == 1 means 32 bits. The transformed form is
// a standard 32-bit load or store with the offset fields zeroed. Returns 0
// or -1 as decode_mmio; htinst == 0, or one with bit 0 clear (a custom
// value or a pseudoinstruction), gives -1.
int decode_htinst(uint64_t htinst, struct mmio_access *out);

// Sign- or zero-extend a loaded value of `width` bytes as the access says,
// to the 64-bit register value.
uint64_t mmio_extend(const struct mmio_access *a, uint64_t value);

#endif
