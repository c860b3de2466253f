// tests/fuzz/fuzz.h: what every fuzz target shares.
//
// A fuzz target is a host program built with clang's libFuzzer and
// AddressSanitizer and UBSan (-fsanitize=fuzzer,address,undefined). It
// defines LLVMFuzzerTestOneInput(data, size), which libFuzzer calls
// millions of times with inputs it mutates to reach new code. An input
// "crashes" when the code under test reads or writes outside a buffer
// (ASan: libFuzzer's buffer is exactly `size` bytes long), does
// something undefined (UBSan: overflow, a shift too far, a misaligned
// access), or breaks a rule the target checks with FUZZ_CHECK. libFuzzer
// then saves the input as crash-<sha1> and stops. `make fuzz` runs every
// target for a while; `make test` runs each for a few seconds from its
// seed corpus, tests/fuzz/corpus/<name>/ (tests/fuzz/README.md).
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// The rule `cond` must hold for every input; if it does not, say which
// rule, where, and why, then abort, so that libFuzzer keeps the input.
#define FUZZ_CHECK(cond, ...)                                          \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: rule broken: %s: ", __FILE__, __LINE__,  \
              #cond);                                                  \
      fprintf(stderr, __VA_ARGS__);                                    \
      fprintf(stderr, "\n");                                           \
      abort();                                                         \
    }                                                                  \
  } while (0)

// The fuzz input, read from the front a piece at a time. Past its end
// every read gives 0, so a target never has to check what is left.
struct input {
  const uint8_t *p;
  size_t left;
};

static inline uint64_t take(struct input *in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) {
    uint64_t b = 0;
    if (in->left > 0) {
      b = *in->p++;
      in->left--;
    }
    v |= b << (8 * i);                // little-endian
  }
  return v;
}

// Read every byte of [p, p + n), so that ASan checks that all of it is
// inside some buffer: code under test may return a pointer and a length
// that it never reads itself.
static inline void touch(const void *p, size_t n) {
  const volatile uint8_t *b = p;
  uint8_t sum = 0;
  for (size_t i = 0; i < n; i++)
    sum ^= b[i];
  (void)sum;
}

#endif
