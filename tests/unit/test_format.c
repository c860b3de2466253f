// tests/unit/test_format.c: the printf engine (kernel/format.c).
//
// Every number the monitor prints (addresses, counters, the boot table
// the system tests parse) goes through vformat(), so a wrong width or a
// lost sign would make the tests read wrong values. Each case formats
// into a buffer and compares with the exact expected text.
#include <stdarg.h>
#include <stdint.h>
#include "kernel/format.h"
#include "tests/unit/unit.h"

// A sink that stores into a 128-byte buffer (always NUL-terminated).
static char out[128];

static void put_out(struct sink *s, char c) {
  if (s->len < sizeof(out) - 1)
    out[s->len] = c;
}

// Format into `out`; return what vformat returned.
static int fmt(const char *f, ...) {
  struct sink s = {put_out, out, sizeof(out), 0};
  memset(out, 0, sizeof(out));
  va_list ap;
  va_start(ap, f);
  int n = vformat(&s, f, ap);
  va_end(ap);
  return n;
}

// Decimal: signs, the most negative 64-bit number, unsigned.
static void decimal(void) {
  fmt("%d %d %d", 0, 42, -42);
  CHECK_STR(out, "0 42 -42");
  fmt("%ld", (long)INT64_MIN);
  CHECK_STR(out, "-9223372036854775808");
  fmt("%u %lu", 4294967295u, 18446744073709551615ul);
  CHECK_STR(out, "4294967295 18446744073709551615");
  fmt("%i", -7);
  CHECK_STR(out, "-7");
}

// Hexadecimal, lower and upper case; %x takes an int, %lx a long.
static void hex(void) {
  fmt("%x %X %lx", 0xbeefu, 0xbeefu, 0x80200000ul);
  CHECK_STR(out, "beef BEEF 80200000");
  fmt("%x", -1);
  CHECK_STR(out, "ffffffff");
}

// Width, zero padding and left justification, for numbers and strings.
static void width_and_padding(void) {
  fmt("[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
  CHECK_STR(out, "[   42][42   ][00042][-0042]");
  fmt("[%016lx]", 0x1234ul);
  CHECK_STR(out, "[0000000000001234]");
  fmt("[%6s][%-6s][%2s]", "ab", "ab", "abcd");
  CHECK_STR(out, "[    ab][ab    ][abcd]");
  fmt("[%3c]", 'x');
  CHECK_STR(out, "[  x]");
}

// %p is always "0x" and 16 digits; %s of NULL does not crash.
static void pointers_and_null(void) {
  fmt("%p", (void *)0x80200000ul);
  CHECK_STR(out, "0x0000000080200000");
  fmt("%s", (char *)NULL);
  CHECK_STR(out, "(null)");
}

// %% is a percent sign; an unknown conversion is printed as written and
// takes no argument, so the next conversion still gets the right one; a
// string that ends inside a conversion ends cleanly.
static void odd_formats(void) {
  fmt("100%%");
  CHECK_STR(out, "100%");
  fmt("%q %d", 5);
  CHECK_STR(out, "%q 5");
  fmt("end %");
  CHECK_STR(out, "end %");
  fmt("end %05");
  CHECK_STR(out, "end %05");
}

// The return value counts every character, even those the sink dropped.
static void return_value(void) {
  CHECK_EQ(fmt("%d-%s", 123, "abc"), 7);
  char big[300];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = 0;
  CHECK_EQ(fmt("%s", big), 299);
  CHECK_EQ(strlen(out), sizeof(out) - 1);
}

int main(void) {
  TEST_RUN(decimal);
  TEST_RUN(hex);
  TEST_RUN(width_and_padding);
  TEST_RUN(pointers_and_null);
  TEST_RUN(odd_formats);
  TEST_RUN(return_value);
  return TEST_EXIT();
}
