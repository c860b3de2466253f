// kernel/string.c: the memory and string functions of kernel/string.h.
//
// Plain loops, easy to check. memset and memcpy move 8-byte words when
// the addresses allow it (both 8-byte aligned, or equally misaligned, so
// that a few single bytes first align both): whole pages go through them
// (a page zeroed for a guest, a disk block copied between a guest and
// the monitor's disk buffer), and words make that about eight times
// fewer loads and stores than bytes. RISC-V allows misaligned word
// accesses but may trap and emulate them very slowly (unprivileged spec
// 2.6, "Load and Store Instructions"), so we never make one. (gcc is
// told -fno-builtin, so it will not turn these loops back into calls to
// themselves.)
#include "kernel/string.h"

#define WORD sizeof(uint64_t)

// A word that may alias any other type: what memcpy moves may be a
// struct, an int array, anything (C11 6.5p7 would not let a plain
// uint64_t access do that; gcc's may_alias attribute does).
typedef uint64_t __attribute__((may_alias)) word_t;

// Are the low address bits of a and b the same (so that, once one is
// word-aligned, so is the other)?
static int same_misalignment(const void *a, const void *b) {
  return ((uintptr_t)a % WORD) == ((uintptr_t)b % WORD);
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  // Single bytes up to a word boundary, then words, then the tail.
  for (; n > 0 && (uintptr_t)d % WORD != 0; n--)
    *d++ = (uint8_t)c;
  word_t word = (uint8_t)c * 0x0101010101010101UL;  // c in every byte
  // Eight words a turn while they last: a page zeroed for a guest then
  // costs about 600 instructions instead of 1500 (a turn's compare,
  // branch and two adds, paid once per 64 bytes instead of per 8).
  for (; n >= 8 * WORD; n -= 8 * WORD, d += 8 * WORD) {
    word_t *w = (word_t *)d;
    w[0] = word, w[1] = word, w[2] = word, w[3] = word;
    w[4] = word, w[5] = word, w[6] = word, w[7] = word;
  }
  for (; n >= WORD; n -= WORD, d += WORD)
    *(word_t *)d = word;
  for (; n > 0; n--)
    *d++ = (uint8_t)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (same_misalignment(d, s)) {
    for (; n > 0 && (uintptr_t)d % WORD != 0; n--)
      *d++ = *s++;
    for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
      *(word_t *)d = *(const word_t *)s;
  }
  for (; n > 0; n--)              // the tail, or everything if misaligned
    *d++ = *s++;
  return dst;
}

// Like memcpy, but the two areas may overlap: copy backwards when the
// destination starts inside the source.
void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (d > s && d < s + n) {
    while (n-- > 0)
      d[n] = s[n];
  } else {
    for (size_t i = 0; i < n; i++)
      d[i] = s[i];
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

// The length of s, but never looking at more than max bytes: the safe
// way to measure a string inside an untrusted buffer.
size_t strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return (uint8_t)*a - (uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  while (n > 0 && *a && *a == *b)
    n--, a++, b++;
  if (n == 0)
    return 0;
  return (uint8_t)*a - (uint8_t)*b;
}

char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c)
      return (char *)s;
    if (*s == 0)
      return NULL;
  }
}
