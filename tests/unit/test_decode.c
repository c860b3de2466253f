// tests/unit/test_decode.c: host tests for hyp/dev/decode.c, the MMIO decoder.
//
// When a guest touches a device, the monitor does the load or store for
// it, from the record decode_mmio() or decode_htinst() makes. A wrong
// width corrupts a device register; a wrong register or a lost sign
// corrupts the guest; a wrong length makes it run the wrong next
// instruction. None of these crash at once, so they must be caught here.
//
// The instruction bits in the tables below come from the GNU assembler,
// not from an encoder of ours: every line was assembled with
//
//   riscv64-unknown-elf-as -march=rv64gc forms.S    (binutils 2.40)
//   riscv64-unknown-elf-objdump -d -M no-aliases forms.o
//
// with ".option norvc" around the 32-bit forms (so that `lw a5, 8(a0)`
// stays 32 bits) and the c.* mnemonics for the 16-bit ones. The text
// column is the assembler source of each row. Reserved encodings that
// the assembler refuses to write are spelled out by hand and marked so.
//
// Register numbers: zero 0, ra 1, sp 2, gp 3, tp 4, t0 5, t2 7, s0 8,
// s1 9, a0-a7 10-17, s10 26, s11 27, t3 28, t6 31.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hyp/dev/decode.h"
#include "tests/unit/unit.h"

// One instruction and what the decoder must say about it.
struct row {
  uint32_t bits;
  const char *text;
  bool write;
  int width;
  bool sign_extend;
  int reg;
  int insn_len;
};

#define LD_(b, t, w, s, r, n) {b, t, false, w, s, r, n}
#define ST_(b, t, w, r, n)    {b, t, true, w, false, r, n}

// The eleven RV64I loads and stores, several registers and offsets each.
static const struct row rows32[] = {
  LD_(0x00850783, "lb a5, 8(a0)",         1, true,  15, 4),
  LD_(0xffff8003, "lb zero, -1(t6)",      1, true,   0, 4),
  LD_(0x7ff11483, "lh s1, 2047(sp)",      2, true,   9, 4),
  LD_(0x80059283, "lh t0, -2048(a1)",     2, true,   5, 4),
  LD_(0x00852783, "lw a5, 8(a0)",         4, true,  15, 4),
  LD_(0x0001a083, "lw ra, 0(gp)",         4, true,   1, 4),
  LD_(0x01013d83, "ld s11, 16(sp)",       8, false, 27, 4),
  LD_(0xff823f83, "ld t6, -8(tp)",        8, false, 31, 4),
  LD_(0x00054503, "lbu a0, 0(a0)",        1, false, 10, 4),
  LD_(0x064fcf83, "lbu x31, 100(x31)",    1, false, 31, 4),
  LD_(0x00645403, "lhu s0, 6(s0)",        2, false,  8, 4),
  LD_(0xffee5183, "lhu gp, -2(t3)",       2, false,  3, 4),
  LD_(0x00c86883, "lwu a7, 12(a6)",       4, false, 17, 4),
  LD_(0x7fc06203, "lwu tp, 2044(zero)",   4, false,  4, 4),
  LD_(0x00053003, "ld zero, 0(a0)",       8, false,  0, 4),
  ST_(0x00f50423, "sb a5, 8(a0)",         1, 15, 4),
  ST_(0xfe0f8fa3, "sb zero, -1(t6)",      1,  0, 4),
  ST_(0x7e911fa3, "sh s1, 2047(sp)",      2,  9, 4),
  ST_(0x81f59023, "sh t6, -2048(a1)",     2, 31, 4),
  ST_(0x00f52423, "sw a5, 8(a0)",         4, 15, 4),
  ST_(0x0011a023, "sw ra, 0(gp)",         4,  1, 4),
  ST_(0x000fb023, "sd zero, 0(t6)",       8,  0, 4),
  ST_(0xffb13823, "sd s11, -16(sp)",      8, 27, 4),
  ST_(0x3e7d3423, "sd t2, 1000(s10)",     8,  7, 4),
};

// The eight RV64C loads and stores. CL/CS name x8..x15 only.
static const struct row rows16[] = {
  LD_(0x451c, "c.lw a5, 8(a0)",       4, true,  15, 2),
  LD_(0x5ce0, "c.lw s0, 124(s1)",     4, true,   8, 2),
  LD_(0x4390, "c.lw a2, 0(a5)",       4, true,  12, 2),
  LD_(0x7ee8, "c.ld a0, 248(a3)",     8, false, 10, 2),
  LD_(0x6004, "c.ld s1, 0(s0)",       8, false,  9, 2),
  LD_(0x6b1c, "c.ld a5, 16(a4)",      8, false, 15, 2),
  ST_(0xc51c, "c.sw a5, 8(a0)",       4, 15, 2),
  ST_(0xdfe0, "c.sw s0, 124(a5)",     4,  8, 2),
  ST_(0xc0d4, "c.sw a3, 4(s1)",       4, 13, 2),
  ST_(0xfdf8, "c.sd a4, 248(a1)",     8, 14, 2),
  ST_(0xe204, "c.sd s1, 0(a2)",       8,  9, 2),
  ST_(0xe81c, "c.sd a5, 16(s0)",      8, 15, 2),
  LD_(0x4082, "c.lwsp ra, 0(sp)",     4, true,   1, 2),
  LD_(0x5ffe, "c.lwsp t6, 252(sp)",   4, true,  31, 2),
  LD_(0x4532, "c.lwsp a0, 12(sp)",    4, true,  10, 2),
  LD_(0x64c2, "c.ldsp s1, 16(sp)",    8, false,  9, 2),
  LD_(0x72fe, "c.ldsp t0, 504(sp)",   8, false,  5, 2),
  LD_(0x61a2, "c.ldsp gp, 8(sp)",     8, false,  3, 2),
  ST_(0xc006, "c.swsp ra, 0(sp)",     4,  1, 2),
  ST_(0xdffe, "c.swsp t6, 252(sp)",   4, 31, 2),
  ST_(0xc602, "c.swsp zero, 12(sp)",  4,  0, 2),
  ST_(0xe826, "c.sdsp s1, 16(sp)",    8,  9, 2),
  ST_(0xff82, "c.sdsp zero, 504(sp)", 8,  0, 2),
  ST_(0xe472, "c.sdsp t3, 8(sp)",     8, 28, 2),
};

// Instructions the decoder must refuse, from the same assembler.
struct reject {
  uint32_t bits;
  const char *text;
};

static const struct reject rejects[] = {
  {0x00852507, "flw fa0, 8(a0)"},
  {0x00a52427, "fsw fa0, 8(a0)"},
  {0xff013487, "fld fs1, -16(sp)"},
  {0x7e0fbc27, "fsd ft0, 2040(t6)"},
  {0x00b6252f, "amoadd.w a0, a1, (a2)"},
  {0x0e63b2af, "amoswap.d.aqrl t0, t1, (t2)"},
  {0x1005a52f, "lr.w a0, (a1)"},
  {0x18d7362f, "sc.d a2, a3, (a4)"},
  {0x00858513, "addi a0, a1, 8"},
  {0x10000537, "lui a0, 0x10000"},
  {0x000780e7, "jalr ra, 0(a5)"},
  {0x0330000f, "fence rw, rw"},
  {0x00000073, "ecall"},
  {0x10059573, "csrrw a0, sstatus, a1"},
  {0x0085f503, ".insn i 0x03, 7, a0, 8(a1)   (LOAD funct3=7)"},
  {0x00a5c423, ".insn s 0x23, 4, a0, 8(a1)   (STORE funct3=4)"},
  {0x00a5d423, ".insn s 0x23, 5, a0, 8(a1)   (STORE funct3=5)"},
  {0x00a5e423, ".insn s 0x23, 6, a0, 8(a1)   (STORE funct3=6)"},
  {0x00a5f423, ".insn s 0x23, 7, a0, 8(a1)   (STORE funct3=7)"},
  {0x2508, "c.fld fa0, 8(a0)"},
  {0xbfe0, "c.fsd fs0, 248(a5)"},
  {0x24c2, "c.fldsp fs1, 16(sp)"},
  {0xbf82, "c.fsdsp ft0, 504(sp)"},
  {0x0808, "c.addi4spn a0, sp, 16"},
  {0x0505, "c.addi a0, 1"},
  {0x57f5, "c.li a5, -3"},
  {0x852e, "c.mv a0, a1"},
  {0x8082, "c.jr ra"},
  {0x9002, "c.ebreak"},
  {0x050e, "c.slli a0, 3"},
  {0x4002, ".insn ci 2, 2, zero, 0   (C.LWSP rd=0, reserved)"},
  {0x6022, ".insn ci 2, 3, zero, 8   (C.LDSP rd=0, reserved)"},
  {0x0000, "by hand: all zeros, the defined illegal instruction"},
  // Quadrant 0, funct3=100 is reserved in C; Zcb later put C.LBU, C.LHU,
  // C.LH, C.SB and C.SH there, which rv64gc guests do not use.
  {0x8000, "by hand: quadrant 0, funct3=100, reserved"},
  {0x9c1c, "by hand: quadrant 0, funct3=100, reserved"},
  {0x0000001f, "by hand: low bits 11111, a 48-bit instruction"},
};

// ---- helpers ---------------------------------------------------------

// Fail unless *a says exactly what row r says. `how` names the decoder.
static void check_fields(const struct row *r, const struct mmio_access *a, int len,
             const char *how) {
  if (a->write != r->write)
    FAILF("%s \"%s\" (0x%08x): write=%d, want %d", how, r->text, r->bits,
          a->write, r->write);
  if (a->width != r->width)
    FAILF("%s \"%s\" (0x%08x): width=%d, want %d", how, r->text, r->bits,
          a->width, r->width);
  if (a->sign_extend != r->sign_extend)
    FAILF("%s \"%s\" (0x%08x): sign_extend=%d, want %d", how, r->text,
          r->bits, a->sign_extend, r->sign_extend);
  if (a->reg != r->reg)
    FAILF("%s \"%s\" (0x%08x): reg=x%d, want x%d", how, r->text, r->bits,
          a->reg, r->reg);
  if (a->insn_len != len)
    FAILF("%s \"%s\" (0x%08x): insn_len=%d, want %d", how, r->text, r->bits,
          a->insn_len, len);
}

// Decode every row of a table with decode_mmio and compare.
static void check_table(const struct row *rows, size_t n) {
  for (size_t i = 0; i < n && !unit_case_failed; i++) {
    struct mmio_access a;
    memset(&a, 0x5a, sizeof(a));
    if (decode_mmio(rows[i].bits, &a) != 0)
      FAILF("\"%s\" (0x%08x): decode_mmio returned -1, want 0",
            rows[i].text, rows[i].bits);
    check_fields(&rows[i], &a, rows[i].insn_len, "decode_mmio");
  }
}

// The transformed instruction a hart would put in htinst for the 32-bit
// load or store `insn` (privileged spec, "Transformed Instruction or
// Pseudoinstruction for mtinst or htinst"): the offset fields become 0
// (bits 31:20 of a load; 31:25 and 11:7 of a store), rs1 becomes the
// address offset `off`, and bit 1 is cleared if the original was 16 bits.
static uint64_t transform(uint32_t insn, bool store, int off, bool was16) {
  uint32_t t = insn & (store ? 0x01f0707fU : 0x00007fffU);
  t |= (uint32_t)off << 15;
  if (was16)
    t &= ~2U;
  return t;
}

// A small deterministic random number generator (xorshift32), so a
// failing sample can be found again.
static uint32_t rng = 0x12345678;

static uint32_t rand32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

// The checks every accepted decode must pass whatever the bits were:
// a width the device code can handle, a real register, a real length,
// and length 2 for anything whose low bits say "compressed".
static void check_sane(uint32_t insn, const struct mmio_access *a) {
  if (a->width != 1 && a->width != 2 && a->width != 4 && a->width != 8)
    FAILF("0x%08x: width %d is not 1, 2, 4 or 8", insn, a->width);
  if (a->reg < 0 || a->reg > 31)
    FAILF("0x%08x: reg %d is not 0..31", insn, a->reg);
  if (a->insn_len != 2 && a->insn_len != 4)
    FAILF("0x%08x: insn_len %d is not 2 or 4", insn, a->insn_len);
  if ((insn & 3) != 3 && a->insn_len != 2)
    FAILF("0x%08x: low bits %u mean 16 bits, but insn_len is %d", insn,
          insn & 3, a->insn_len);
  if ((insn & 3) == 3 && a->insn_len != 4)
    FAILF("0x%08x: low bits 11 mean 32 bits, but insn_len is %d", insn,
          a->insn_len);
  if (a->write && a->sign_extend)
    FAILF("0x%08x: a store that sign-extends", insn);
  if (a->width == 8 && a->sign_extend)
    FAILF("0x%08x: a 64-bit load that claims to sign-extend", insn);
}

// ---- decode_mmio: what it must accept --------------------------------

// Every RV64I load and store decodes to the right direction, width,
// signedness and register, with length 4, whatever the offset and base.
static void rv64i_loads_and_stores(void) {
  check_table(rows32, ARRAY_SIZE(rows32));
}

// Every RV64C load and store decodes with length 2; the 3-bit register
// fields of C.LW/C.LD/C.SW/C.SD name x8..x15, and C.LW/C.LWSP sign-extend
// like LW.
static void rv64c_loads_and_stores(void) {
  check_table(rows16, ARRAY_SIZE(rows16));
}

// A load into x0 is legal and decodes (reg 0): the monitor must still
// do the device read, for its side effects, and then drop the value.
static void load_into_x0(void) {
  struct mmio_access a;
  CHECK_EQ(decode_mmio(0x00053003, &a), 0);     // ld zero, 0(a0)
  CHECK_EQ(a.reg, 0);
  CHECK_EQ(a.width, 8);
  CHECK(!a.write);
  CHECK_EQ(decode_mmio(0xffff8003, &a), 0);     // lb zero, -1(t6)
  CHECK_EQ(a.reg, 0);
  CHECK(a.sign_extend);
}

// For a 16-bit instruction the upper half is whatever followed it in
// memory (or nothing, when HLVX read only 16 bits) and must not matter.
static void upper_half_ignored_for_16bit(void) {
  for (size_t i = 0; i < ARRAY_SIZE(rows16); i++) {
    uint32_t junk[] = {0xffff0000U, 0x00030000U, 0xdead0000U, 0x00850000U};
    for (size_t j = 0; j < ARRAY_SIZE(junk); j++) {
      struct mmio_access a;
      struct row r = rows16[i];
      r.bits |= junk[j];
      if (decode_mmio(r.bits, &a) != 0)
        FAILF("\"%s\" with upper half 0x%04x: returned -1", r.text,
              junk[j] >> 16);
      check_fields(&r, &a, 2, "decode_mmio");
      if (unit_case_failed)
        return;
    }
  }
}

// ---- decode_mmio: what it must refuse --------------------------------

// Floating-point loads and stores, AMOs, LR/SC, reserved funct3 values,
// reserved compressed encodings and ordinary non-memory instructions
// all return -1, and leave *out untouched.
static void rejected_forms(void) {
  for (size_t i = 0; i < ARRAY_SIZE(rejects); i++) {
    struct mmio_access a, before;
    memset(&a, 0x5a, sizeof(a));
    before = a;
    int r = decode_mmio(rejects[i].bits, &a);
    if (r != -1)
      FAILF("\"%s\" (0x%08x): decode_mmio returned %d, want -1",
            rejects[i].text, rejects[i].bits, r);
    if (memcmp(&a, &before, sizeof(a)) != 0)
      FAILF("\"%s\" (0x%08x): refused, but *out was changed",
            rejects[i].text, rejects[i].bits);
  }
}

// ---- decode_htinst ---------------------------------------------------

// The transformed form of each RV64I load and store, with bit 1 set
// (the guest ran the 32-bit instruction) decodes like the instruction
// itself with length 4; with bit 1 clear (the guest ran the compressed
// equivalent) with length 2. A nonzero Addr. Offset changes nothing.
static void htinst_transformed_each_width(void) {
  for (size_t i = 0; i < ARRAY_SIZE(rows32); i++) {
    const struct row *r = &rows32[i];
    for (int was16 = 0; was16 <= 1; was16++) {
      for (int off = 0; off <= 7; off += 7) {
        struct mmio_access a;
        uint64_t t = transform(r->bits, r->write, off, was16);
        if (decode_htinst(t, &a) != 0)
          FAILF("transformed \"%s\" = 0x%llx: returned -1", r->text,
                (unsigned long long)t);
        check_fields(r, &a, was16 ? 2 : 4, "decode_htinst");
        if (unit_case_failed)
          return;
      }
    }
  }
}

// A few transformed instructions written out in full, by hand from the
// spec's figure (offsets and rs1 zero), so a reader can check them.
static void htinst_literal_values(void) {
  struct mmio_access a;

  CHECK_EQ(decode_htinst(0x00002783, &a), 0);   // lw a5, 8(a0)
  CHECK(!a.write && a.width == 4 && a.sign_extend && a.reg == 15);
  CHECK_EQ(a.insn_len, 4);
  CHECK_EQ(decode_htinst(0x00002781, &a), 0);   // c.lw a5, 8(a0)
  CHECK(!a.write && a.width == 4 && a.sign_extend && a.reg == 15);
  CHECK_EQ(a.insn_len, 2);
  CHECK_EQ(decode_htinst(0x00003023, &a), 0);   // sd zero, 0(t6)
  CHECK(a.write && a.width == 8 && a.reg == 0);
  CHECK_EQ(a.insn_len, 4);
  CHECK_EQ(decode_htinst(0x00903021, &a), 0);   // c.sdsp s1, 16(sp)
  CHECK(a.write && a.width == 8 && a.reg == 9);
  CHECK_EQ(a.insn_len, 2);
  // By hand: LBU a0 with bit 1 clear is what a hart with Zcb would write
  // for C.LBU a0, 1(a1). decode_mmio does not know Zcb, but the
  // transformed form is plain LBU, so decode_htinst handles it anyway.
  CHECK_EQ(decode_htinst(0x00004501, &a), 0);
  CHECK(!a.write && a.width == 1 && !a.sign_extend && a.reg == 10);
  CHECK_EQ(a.insn_len, 2);
}

// Values that are not transformed loads or stores give -1: zero (QEMU
// 7.2's only value), the pseudoinstructions for faults on the guest's
// own page table (0x2000/0x2020 for RV32, 0x3000/0x3020 for RV64), other
// values with bit 0 clear, anything above bit 31, and the transformed
// forms of instructions we refuse (AMO, FP load, LOAD funct3=7).
static void htinst_rejected(void) {
  static const uint64_t bad[] = {
    0, 0x2000, 0x2020, 0x3000, 0x3020, 0x00002782, 0x00002780,
    (1ULL << 32) | 0x00002783, 0x8000000000003023ULL,
    0x00b0252f,                   // amoadd.w a0, a1, (a2), transformed
    0x00002507,                   // flw fa0, 8(a0), transformed
    0x00007503,                   // LOAD funct3=7, transformed
    0x00a04023,                   // STORE funct3=4, transformed
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct mmio_access a, before;
    memset(&a, 0x5a, sizeof(a));
    before = a;
    int r = decode_htinst(bad[i], &a);
    if (r != -1)
      FAILF("htinst 0x%llx: returned %d, want -1",
            (unsigned long long)bad[i], r);
    if (memcmp(&a, &before, sizeof(a)) != 0)
      FAILF("htinst 0x%llx: refused, but *out was changed",
            (unsigned long long)bad[i]);
  }
}

// ---- mmio_extend -----------------------------------------------------

// Each width, signed and unsigned, with the top bit of the width set and
// clear, and with junk above the width that the device left there.
static void extend_all_widths(void) {
  static const struct {
    const char *insn;
    int width;
    bool sign;
    uint64_t in, want;
  } cases[] = {
    {"lb",  1, true,  0x80,               0xffffffffffffff80ULL},
    {"lbu", 1, false, 0x80,               0x80},
    {"lb",  1, true,  0x7f,               0x7f},
    {"lb",  1, true,  0xffffff01,         0x01},
    {"lbu", 1, false, 0x12345678abcdefffULL, 0xff},
    {"lh",  2, true,  0x8000,             0xffffffffffff8000ULL},
    {"lhu", 2, false, 0x8000,             0x8000},
    {"lh",  2, true,  0x7ffe,             0x7ffe},
    {"lh",  2, true,  0xabcd1234,         0x1234},
    {"lw",  4, true,  0x80000000,         0xffffffff80000000ULL},
    {"lwu", 4, false, 0x80000000,         0x80000000},
    {"lw",  4, true,  0x7fffffff,         0x7fffffff},
    {"lw",  4, true,  0xdeadbeef00000001ULL, 0x1},
    {"lwu", 4, false, 0xffffffffffffffffULL, 0xffffffff},
    {"ld",  8, false, 0x8000000000000000ULL, 0x8000000000000000ULL},
    {"ld",  8, false, 0x0123456789abcdefULL, 0x0123456789abcdefULL},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    struct mmio_access a = {false, cases[i].width, cases[i].sign, 10, 4};
    uint64_t got = mmio_extend(&a, cases[i].in);
    if (got != cases[i].want)
      FAILF("%s of 0x%llx gives 0x%llx, want 0x%llx", cases[i].insn,
            (unsigned long long)cases[i].in, (unsigned long long)got,
            (unsigned long long)cases[i].want);
  }
}

// The record decode_mmio makes feeds mmio_extend directly: LB and LBU of
// the same byte differ, as do LW and LWU, and C.LW acts like LW. For a
// store, the same call trims rs2 to the bytes that go to the device.
static void extend_after_decode(void) {
  struct mmio_access a;
  CHECK_EQ(decode_mmio(0x00850783, &a), 0);     // lb a5, 8(a0)
  CHECK_EQ(mmio_extend(&a, 0x80), 0xffffffffffffff80ULL);
  CHECK_EQ(decode_mmio(0x00054503, &a), 0);     // lbu a0, 0(a0)
  CHECK_EQ(mmio_extend(&a, 0x80), 0x80);
  CHECK_EQ(decode_mmio(0x00852783, &a), 0);     // lw a5, 8(a0)
  CHECK_EQ(mmio_extend(&a, 0x80000000), 0xffffffff80000000ULL);
  CHECK_EQ(decode_mmio(0x00c86883, &a), 0);     // lwu a7, 12(a6)
  CHECK_EQ(mmio_extend(&a, 0x80000000), 0x80000000);
  CHECK_EQ(decode_mmio(0x451c, &a), 0);         // c.lw a5, 8(a0)
  CHECK_EQ(mmio_extend(&a, 0xfffffffe), 0xfffffffffffffffeULL);
  CHECK_EQ(decode_mmio(0x00f50423, &a), 0);     // sb a5, 8(a0)
  CHECK_EQ(mmio_extend(&a, 0xffffffffffff1280ULL), 0x80);
}

// ---- sweeps ----------------------------------------------------------

// All 65536 16-bit values. Every accepted one is sane and has length 2;
// quadrant 1 never decodes; CL/CS registers are x8..x15. Exactly 16256
// are accepted: 4 funct3 values x 2048 in quadrant 0, 2 x 2048 for
// C.SWSP/C.SDSP, and 2 x (2048 - 64) for C.LWSP/C.LDSP without rd = 0.
// (objdump -M no-aliases, fed all 65536 halfwords, names the same 16256
// as c.lw, c.ld, c.sw, c.sd, c.lwsp, c.ldsp, c.swsp or c.sdsp.)
static void sweep_all_16bit(void) {
  int accepted = 0;
  for (uint32_t insn = 0; insn <= 0xffff; insn++) {
    struct mmio_access a;
    if ((insn & 3) == 3)
      continue;                 // not a 16-bit instruction
    if (decode_mmio(insn, &a) != 0)
      continue;
    accepted++;
    check_sane(insn, &a);
    if ((insn & 3) == 1)
      FAILF("0x%04x: quadrant 1 has no loads or stores", insn);
    if ((insn & 3) == 0 && (a.reg < 8 || a.reg > 15))
      FAILF("0x%04x: quadrant 0 names x8..x15 only, got x%d", insn, a.reg);
    if ((insn & 3) == 2 && !a.write && a.reg == 0)
      FAILF("0x%04x: C.LWSP/C.LDSP with rd = 0 is reserved", insn);
    if (a.width != 4 && a.width != 8)
      FAILF("0x%04x: RVC has only word and doubleword forms, width %d",
            insn, a.width);
    if (unit_case_failed)
      return;
  }
  CHECK_EQ(accepted, 16256);
}

// 32-bit values: every bits[6:0] and every funct3, each with 64 random
// fillings of the other bits. Accepted iff LOAD with funct3 != 7 or
// STORE with funct3 <= 3 (the funct3 tables of RV32I/RV64I); every
// accepted one is sane, and reg is the rd or rs2 field. Values whose
// low bits are not 11 are 16-bit instructions and must give length 2.
static void sweep_sampled_32bit(void) {
  int accepted = 0;
  for (uint32_t op = 0; op < 128; op++) {
    for (uint32_t f3 = 0; f3 < 8; f3++) {
      for (int k = 0; k < 64; k++) {
        uint32_t insn = (rand32() & ~0x707fU) | (f3 << 12) | op;
        struct mmio_access a;
        bool want = (op == 0x03 && f3 != 7) || (op == 0x23 && f3 <= 3);
        int r = decode_mmio(insn, &a);
        if ((op & 3) != 3) {
          if (r == 0)
            check_sane(insn, &a);
        } else if (want != (r == 0)) {
          FAILF("0x%08x (opcode 0x%02x funct3 %u): returned %d, want %d",
                insn, op, f3, r, want ? 0 : -1);
        } else if (r == 0) {
          accepted++;
          check_sane(insn, &a);
          uint32_t field = a.write ? (insn >> 20) & 31 : (insn >> 7) & 31;
          if ((uint32_t)a.reg != field)
            FAILF("0x%08x: reg x%d, want x%u", insn, a.reg, field);
          if (a.width != 1 << (f3 & 3))
            FAILF("0x%08x: width %d for funct3 %u", insn, a.width, f3);
        }
        if (unit_case_failed)
          return;
      }
    }
  }
  CHECK_EQ(accepted, (7 + 4) * 64);
}

// The same for htinst: random transformed-looking values with any
// opcode and funct3 never decode to anything insane, and the length
// follows bit 1.
static void sweep_htinst(void) {
  for (uint32_t op = 0; op < 128; op++) {
    for (uint32_t f3 = 0; f3 < 8; f3++) {
      for (int k = 0; k < 16; k++) {
        uint32_t t = (rand32() & ~0x707fU) | (f3 << 12) | op;
        struct mmio_access a;
        int r = decode_htinst(t, &a);
        bool want = (op & 1) &&
                    (((op | 2) == 0x03 && f3 != 7) ||
                     ((op | 2) == 0x23 && f3 <= 3));
        if (want != (r == 0))
          FAILF("htinst 0x%08x: returned %d, want %d", t, r, want ? 0 : -1);
        if (r == 0 && a.insn_len != ((t & 2) ? 4 : 2))
          FAILF("htinst 0x%08x: insn_len %d", t, a.insn_len);
        if (r == 0 && (a.reg < 0 || a.reg > 31))
          FAILF("htinst 0x%08x: reg %d", t, a.reg);
        if (unit_case_failed)
          return;
      }
    }
  }
}

int main(void) {
  TEST_RUN(rv64i_loads_and_stores);
  TEST_RUN(rv64c_loads_and_stores);
  TEST_RUN(load_into_x0);
  TEST_RUN(upper_half_ignored_for_16bit);
  TEST_RUN(rejected_forms);
  TEST_RUN(htinst_transformed_each_width);
  TEST_RUN(htinst_literal_values);
  TEST_RUN(htinst_rejected);
  TEST_RUN(extend_all_widths);
  TEST_RUN(extend_after_decode);
  TEST_RUN(sweep_all_16bit);
  TEST_RUN(sweep_sampled_32bit);
  TEST_RUN(sweep_htinst);
  return TEST_EXIT();
}
