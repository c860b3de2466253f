// splashos/num.c: random inputs, checksums, printing doubles (num.h).
#include "kernel/printf.h"
#include "splashos/num.h"

uint64_t rand_u64(uint64_t seed, uint64_t i) {
  // The golden-ratio increment, then SplitMix64's two multiply-xorshift
  // rounds, which spread every input bit over every output bit.
  uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double rand_unit(uint64_t seed, uint64_t i) {
  // The top 53 bits fill a double's mantissa exactly: k / 2^53 in [0, 1).
  double u = (double)(rand_u64(seed, i) >> 11) * (1.0 / 9007199254740992.0);
  return 2.0 * u - 1.0;
}

uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;          // the 64-bit FNV prime
  }
  return h;
}

char *fmt_sci(char *buf, double x) {
  if (x != x) {
    snprintf(buf, 16, "nan");
    return buf;
  }
  const char *sign = x < 0 ? "-" : "";
  if (x < 0)
    x = -x;
  if (x > 1e300) {
    snprintf(buf, 16, "%sinf", sign);
    return buf;
  }
  // Scale x into [1, 10), counting the powers of ten; then round to three
  // digits, which may carry into a fourth (9.996 -> 10.0).
  int e = 0;
  while (x != 0 && x < 1) {
    x *= 10;
    e--;
  }
  while (x >= 10) {
    x /= 10;
    e++;
  }
  long digits = (long)(x * 100 + 0.5);
  if (digits >= 1000) {
    digits /= 10;
    e++;
  }
  snprintf(buf, 16, "%s%ld.%02lde%c%02d", sign, digits / 100, digits % 100,
           e < 0 ? '-' : '+', e < 0 ? -e : e);
  return buf;
}
