// hyp/dev/decode.c: turn a guest load or store into a struct mmio_access.
//
// Only the integer loads and stores of RV64GC can touch a device for us:
// the eleven of RV64I and the eight of RV64C. Everything else that can
// fault on a device address (floating-point loads and stores, AMOs,
// LR/SC) is refused, and the trap handler treats the guest as broken.
//
// RV64I loads are I-type and stores are S-type (unprivileged spec,
// "RV32I Base Integer Instruction Set", 2.2 "Base Instruction Formats";
// 2.6 and RV64I 5.3 "Load and Store Instructions"):
//
//    31                 20 19   15 14  12 11     7 6       0
//   +---------------------+-------+------+--------+---------+
//   |      imm[11:0]      |  rs1  |funct3|   rd   | 0000011 |  I: LOAD
//   +-----------+---------+-------+------+--------+---------+
//   | imm[11:5] |   rs2   |  rs1  |funct3|imm[4:0]| 0100011 |  S: STORE
//   +-----------+---------+-------+------+--------+---------+
//
// funct3 holds the width and, for loads, the signedness:
//
//   funct3 = u s s    ss = log2(width in bytes), u = 1: zero-extend
//     LOAD:  000 LB   001 LH   010 LW   011 LD
//            100 LBU  101 LHU  110 LWU  111 reserved (LDU in RV128)
//     STORE: 000 SB   001 SH   010 SW   011 SD    1xx not in RV64
//
// The compressed forms are in unprivileged spec chapter "C" Standard
// Extension, 16.2 "Compressed Instruction Formats", 16.3 "Load and Store
// Instructions", and the quadrant tables of 16.8 "RVC Instruction Set
// Listings". Bits [1:0] pick the quadrant (11 means "not compressed").
// Quadrant 0 holds the register-based forms, whose 3-bit register fields
// name only x8..x15 (rd' = 3 means x11):
//
//    15   13 12    10 9    7 6   5 4    2 1  0
//   +-------+--------+------+-----+------+----+
//   |funct3 |  imm   | rs1' | imm | rd'  | 00 |  CL: 010 C.LW   011 C.LD
//   +-------+--------+------+-----+------+----+
//   |funct3 |  imm   | rs1' | imm | rs2' | 00 |  CS: 110 C.SW   111 C.SD
//   +-------+--------+------+-----+------+----+
//
// Quadrant 2 holds the sp-based forms, which name any of x0..x31:
//
//    15   13  12  11       7 6      2 1  0
//   +-------+----+----------+--------+----+
//   |funct3 |imm |    rd    |  imm   | 10 |  CI:  010 C.LWSP  011 C.LDSP
//   +-------+----+----------+--------+----+
//   |funct3 |      imm      |  rs2   | 10 |  CSS: 110 C.SWSP  111 C.SDSP
//   +-------+---------------+--------+----+
//
// C.LWSP and C.LDSP with rd = 0 are reserved. The other funct3 values of
// both quadrants are other instructions (C.FLD, C.FSD, C.FLDSP, C.FSDSP,
// C.ADDI4SPN, C.SLLI, C.JR, ...) and are refused, as is quadrant 0's
// funct3 = 100: reserved in C, it holds the byte and halfword forms of
// the later Zcb extension, which rv64gc guests do not use.
//
// The offsets do not matter here: the trap already told the monitor the
// faulting address.

#include "kernel/types.h"
#include "hyp/dev/decode.h"

#define OP_LOAD   0x03   // 0000011, major opcode LOAD
#define OP_STORE  0x23   // 0100011, major opcode STORE

// Bits [hi:lo] of x, shifted down to bit 0.
static uint32_t bits(uint32_t x, int hi, int lo) {
  return (x >> lo) & ((1U << (hi - lo + 1)) - 1);
}

// Fill *out with a load of `width` bytes into register rd; return 0.
static int load(struct mmio_access *out, int width, bool sign_extend, int rd, int len) {
  out->write = false;
  out->width = width;
  out->sign_extend = sign_extend;
  out->reg = rd;
  out->insn_len = len;
  return 0;
}

// Fill *out with a store of `width` bytes from register rs2; return 0.
static int store(struct mmio_access *out, int width, int rs2, int len) {
  out->write = true;
  out->width = width;
  out->sign_extend = false;
  out->reg = rs2;
  out->insn_len = len;
  return 0;
}

// Decode a 32-bit LOAD or STORE (layouts above). Returns 0 and fills
// *out, or returns -1 and leaves *out alone.
static int decode32(uint32_t insn, struct mmio_access *out) {
  uint32_t funct3 = bits(insn, 14, 12);
  int width = 1 << (funct3 & 3);

  switch (bits(insn, 6, 0)) {
  case OP_LOAD:
    if (funct3 == 7)
      return -1;
    // LB, LH, LW (u = 0, width < 8) sign-extend; LD fills the register.
    return load(out, width, funct3 < 3, bits(insn, 11, 7), 4);
  case OP_STORE:
    if (funct3 > 3)
      return -1;
    return store(out, width, bits(insn, 24, 20), 4);
  }
  return -1;
}

// The register named by a 3-bit rd'/rs2' field at bits [4:2]: x8..x15
// (16.2, table "Registers specified by the three-bit rs1', rs2', and rd'
// fields of the CIW, CL, CS, CA, and CB formats").
static int creg(uint32_t insn) {
  return 8 + bits(insn, 4, 2);
}

// Decode a 16-bit RVC load or store (layouts above). Returns 0 and fills
// *out, or returns -1 and leaves *out alone.
static int decode16(uint32_t insn, struct mmio_access *out) {
  uint32_t funct3 = bits(insn, 15, 13);
  int rd = bits(insn, 11, 7);

  switch (bits(insn, 1, 0)) {
  case 0:                                             // quadrant 0
    switch (funct3) {
    case 2: return load(out, 4, true, creg(insn), 2);   // C.LW
    case 3: return load(out, 8, false, creg(insn), 2);  // C.LD
    case 6: return store(out, 4, creg(insn), 2);        // C.SW
    case 7: return store(out, 8, creg(insn), 2);        // C.SD
    }
    return -1;
  case 2:                                             // quadrant 2
    switch (funct3) {
    case 2:                                           // C.LWSP
      return rd == 0 ? -1 : load(out, 4, true, rd, 2);
    case 3:                                           // C.LDSP
      return rd == 0 ? -1 : load(out, 8, false, rd, 2);
    case 6: return store(out, 4, bits(insn, 6, 2), 2);  // C.SWSP
    case 7: return store(out, 8, bits(insn, 6, 2), 2);  // C.SDSP
    }
    return -1;
  }
  return -1;                                          // quadrant 1: no loads
}

// Decode the instruction bits the monitor read from guest memory.
// Bits [1:0] != 11 mark a 16-bit instruction (unprivileged spec 1.5
// "Base Instruction-Length Encoding"); then only the low half counts.
// Returns 0 and fills *out, or -1 (and *out is left alone).
int decode_mmio(uint32_t insn, struct mmio_access *out) {
  if (bits(insn, 1, 0) != 3)
    return decode16(insn & 0xffff, out);
  return decode32(insn, out);
}

// Decode htinst after a load or store guest-page fault. The hardware
// may write there a "transformed instruction" (privileged spec, H
// extension, "Transformed Instruction or Pseudoinstruction for mtinst
// or htinst", 8.6.3 in the 20211203 release): the trapping instruction,
// expanded to its 32-bit form if it was compressed, with
//
//    31                 20 19   15 14  12 11     7 6     2  1  0
//   +---------------------+-------+------+--------+-------+--+--+
//   |          0          |  off  |funct3|   rd   | 00000 | c| 1|  load
//   +---------------------+-------+------+--------+-------+--+--+
//
//    31       25 24     20 19   15 14  12 11     7 6     2  1  0
//   +-----------+---------+-------+------+--------+-------+--+--+
//   |     0     |   rs2   |  off  |funct3|   0    | 01000 | c| 1|  store
//   +-----------+---------+-------+------+--------+-------+--+--+
//
//   c (bit 1) = 1: the instruction was 32 bits, 0: it was 16 bits
//   off, "Addr. Offset" (where rs1 was): nonzero only when a misaligned
//   access was split and a later part faulted; we use htval, not this.
//
// Other values are not transformed loads/stores: 0 (no information, as
// QEMU 7.2 always gives), bit 0 clear (pseudoinstructions such as 0x3000
// for a fault while walking the guest's page table, or custom values),
// or anything but LOAD/STORE. Returns 0 and fills *out, or -1.
int decode_htinst(uint64_t htinst, struct mmio_access *out) {
  uint32_t insn = (uint32_t)htinst;

  if ((htinst >> 32) != 0 || (insn & 1) == 0)
    return -1;
  // Put bit 1 back, so the opcode reads LOAD/STORE again, and decode.
  if (decode32(insn | 2, out) < 0)
    return -1;
  out->insn_len = (insn & 2) ? 4 : 2;
  return 0;
}

// Turn the `a->width` bytes a device returned (in the low bits of
// value; higher bits are ignored) into what the load leaves in its
// register: sign-extended from the top bit of the width for LB/LH/LW,
// zero-extended otherwise (unprivileged spec 2.6 and 5.3). For a store
// this gives the bytes of rs2 that go to the device. A width other than
// 1, 2 or 4 returns value unchanged.
uint64_t mmio_extend(const struct mmio_access *a, uint64_t value) {
  int nbits = a->width * 8;
  uint64_t top;

  if (a->width != 1 && a->width != 2 && a->width != 4)
    return value;
  value &= (1ULL << nbits) - 1;
  top = 1ULL << (nbits - 1);
  if (a->sign_extend && (value & top))
    value |= ~((1ULL << nbits) - 1);
  return value;
}
