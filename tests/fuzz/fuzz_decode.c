// tests/fuzz/fuzz_decode.c: fuzz the MMIO instruction decoder, hyp/dev/decode.c.
//
// What it proves: any instruction a guest can fault on, and any value
// the hardware can leave in htinst, is either refused (-1, with the
// record left alone) or decoded into a record that says what the bits
// say (unprivileged spec 2.6, 16.3; the layouts are drawn in
// hyp/dev/decode.c):
//   - a 32-bit LOAD/STORE: width 1 << funct3[1:0], the rd (load) or rs2
//     (store) field, sign extension exactly for LB/LH/LW, length 4;
//     nothing else 32 bits long is accepted;
//   - a 16-bit one: width 4 or 8, length 2, a quadrant-0 register in
//     x8..x15, never a load into x0 from C.LWSP/C.LDSP; the upper half
//     of the word does not matter;
//   - its htinst form (the offset fields zeroed, bit 1 saying 16 or 32
//     bits) decodes to the same record, except the length bit 1 gives;
//   - mmio_extend keeps the access's low bytes and fills the rest with
//     the sign bit or zeros, as the record says.
// Input: 8 bytes of instruction word (little-endian), 8 bytes of value.
#include <string.h>

#include "hyp/dev/decode.h"
#include "tests/fuzz/fuzz.h"

static uint32_t field(uint32_t x, int hi, int lo) {
  return (x >> lo) & ((1U << (hi - lo + 1)) - 1);
}

static bool same(const struct mmio_access *a, const struct mmio_access *b) {
  return a->write == b->write && a->width == b->width &&
         a->sign_extend == b->sign_extend && a->reg == b->reg &&
         a->insn_len == b->insn_len;
}

// A record no decoder writes, to see that -1 leaves *out alone.
static const struct mmio_access untouched = {true, 3, true, 99, 3};

// mmio_extend's rule for one access and value.
static void check_extend(const struct mmio_access *a, uint64_t value) {
  uint64_t got = mmio_extend(a, value);
  if (a->width == 8) {
    FUZZ_CHECK(got == value, "width 8 changed %#lx to %#lx", value, got);
    return;
  }
  int nbits = a->width * 8;
  uint64_t low = (1ULL << nbits) - 1;
  bool neg = a->sign_extend && (value >> (nbits - 1) & 1);
  uint64_t want = (value & low) | (neg ? ~low : 0);
  FUZZ_CHECK(got == want, "extend %#lx width %d sign %d: %#lx, want %#lx", value,
             a->width, a->sign_extend, got, want);
}

// A 32-bit instruction (bits [1:0] = 11).
static void check32(uint32_t insn, uint64_t value) {
  struct mmio_access a = untouched;
  int r = decode_mmio(insn, &a);
  uint32_t op = field(insn, 6, 0), f3 = field(insn, 14, 12);
  bool load = op == 0x03 && f3 != 7, store = op == 0x23 && f3 <= 3;
  FUZZ_CHECK((r == 0) == (load || store), "insn %#x: decode_mmio gave %d", insn, r);
  if (r < 0) {
    FUZZ_CHECK(same(&a, &untouched), "insn %#x refused but *out changed", insn);
    return;
  }
  FUZZ_CHECK(a.write == store && a.width == 1 << (f3 & 3) && a.insn_len == 4 &&
             a.reg == (int)(store ? field(insn, 24, 20) : field(insn, 11, 7)) &&
             a.sign_extend == (load && f3 < 3),
             "insn %#x: write %d width %d reg %d sign %d len %d", insn, a.write,
             a.width, a.reg, a.sign_extend, a.insn_len);
  check_extend(&a, value);

  // The transformed instruction: rs1 becomes the (zero) address offset,
  // the immediate is zeroed; bit 1 says whether the original was 32 bits.
  uint32_t t = store ? insn & 0x01f0707f : insn & 0x00007fff;
  t &= ~(0x1fU << 15);
  struct mmio_access h = untouched;
  FUZZ_CHECK(decode_htinst(t, &h) == 0 && same(&h, &a), "htinst %#x of insn %#x", t, insn);
  h = untouched;
  FUZZ_CHECK(decode_htinst(t & ~2U, &h) == 0 && h.insn_len == 2,
             "htinst %#x (from 16 bits) gave length %d", t & ~2U, h.insn_len);
}

// A 16-bit instruction (bits [1:0] != 11), in the low half of `word`.
static void check16(uint32_t word, uint64_t value) {
  struct mmio_access a = untouched, b = untouched;
  int r = decode_mmio(word, &a);
  int r2 = decode_mmio(word & 0xffff, &b);
  FUZZ_CHECK(r == r2 && same(&a, &b), "insn %#x: the upper half changed the answer", word);
  if (r < 0) {
    FUZZ_CHECK(same(&a, &untouched), "insn %#x refused but *out changed", word);
    return;
  }
  uint32_t q = field(word, 1, 0), f3 = field(word, 15, 13);
  FUZZ_CHECK(q == 0 || q == 2, "insn %#x: a load/store in quadrant %u", word, q);
  FUZZ_CHECK(f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7, "insn %#x: funct3 %u", word, f3);
  FUZZ_CHECK(a.insn_len == 2 && a.width == (f3 & 1 ? 8 : 4) && a.write == (f3 >= 6) &&
             a.sign_extend == (f3 == 2) && a.reg >= 0 && a.reg < 32,
             "insn %#x: write %d width %d reg %d sign %d len %d", word, a.write, a.width,
             a.reg, a.sign_extend, a.insn_len);
  if (q == 0)
    FUZZ_CHECK(a.reg == 8 + (int)field(word, 4, 2), "insn %#x: reg %d", word, a.reg);
  else if (a.write)
    FUZZ_CHECK(a.reg == (int)field(word, 6, 2), "insn %#x: reg %d", word, a.reg);
  else
    FUZZ_CHECK(a.reg == (int)field(word, 11, 7) && a.reg != 0, "insn %#x: reg %d",
               word, a.reg);
  check_extend(&a, value);
}

// Any 64-bit htinst: only values of the transformed load/store form are
// accepted, and then as decode_mmio reads the same bits as 32 bits.
static void check_htinst(uint64_t htinst) {
  struct mmio_access h = untouched;
  int r = decode_htinst(htinst, &h);
  if (r < 0) {
    FUZZ_CHECK(same(&h, &untouched), "htinst %#lx refused but *out changed", htinst);
    return;
  }
  FUZZ_CHECK(htinst >> 32 == 0 && (htinst & 1), "htinst %#lx accepted", htinst);
  struct mmio_access a = untouched;
  FUZZ_CHECK(decode_mmio((uint32_t)htinst | 2, &a) == 0, "htinst %#lx", htinst);
  a.insn_len = htinst & 2 ? 4 : 2;
  FUZZ_CHECK(same(&a, &h), "htinst %#lx decodes unlike its instruction", htinst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct input in = {data, size};
  uint64_t word = take(&in, 8), value = take(&in, 8);
  uint32_t insn = (uint32_t)word;
  if ((insn & 3) == 3)
    check32(insn, value);
  else
    check16(insn, value);
  check_htinst(word);
  check_htinst((uint32_t)word);
  return 0;
}
