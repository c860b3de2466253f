// kernel/string.c: the memory and string functions of kernel/string.h.
//
// Byte-at-a-time and plain on purpose: easy to check, and fast enough for
// a monitor that copies whole pages rarely. (gcc is told -fno-builtin, so
// it will not turn these loops back into calls to themselves.)
#include "kernel/string.h"

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  for (size_t i = 0; i < n; i++)
    d[i] = (uint8_t)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  for (size_t i = 0; i < n; i++)
    d[i] = s[i];
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
