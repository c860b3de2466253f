// tests/fuzz/fuzz_stubs.c: printf for the fuzz targets.
//
// The monitor's readers report bad input with printf (kernel/printf.h has
// the C library's contract). A fuzz target runs them millions of times,
// so the message is formatted into a buffer and dropped: formatted, so
// that ASan still checks every argument (a %s given a string without its
// NUL is a finding), dropped, so that libFuzzer's own report stays
// readable. The last message is kept for a target that wants to look.
#include <stdarg.h>
#include <stdio.h>

#include "tests/fuzz/fuzz_stubs.h"

char fuzz_last_message[256];

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(fuzz_last_message, sizeof(fuzz_last_message), fmt, ap);
  va_end(ap);
  return n;
}
