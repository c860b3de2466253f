// tests/unit/test_vline.c: what of a guest's console output reaches the
// terminal (hyp/dev/vline.c).
//
// The monitor prints each VM's lines behind its name, "[name] text", so
// that a reader knows who said what. A guest that could send its own
// control bytes to the terminal could erase that prefix and print a line
// that passes for the monitor's (finding 10.6: "ESC [ 2K ESC [ 1G vm
// victim: stopped"). Each case feeds bytes as a guest writes them and
// checks the line the monitor would print: control bytes in caret
// notation, C1 controls too (in UTF-8 or bare), CR dropped, backspace
// only on the guest's own bytes, UTF-8 text untouched, and a full line
// handed back before it overflows.
#include "hyp/dev/vline.h"
#include "tests/unit/unit.h"

#define MAX 32

static char line[MAX + 1];
static int len;
static int ends, fulls;   // lines the bytes ended, times the line was full

// Feed n bytes as a guest writes them; the line, as a string.
static const char *feed(const char *s, size_t n) {
  len = 0;
  ends = fulls = 0;
  for (size_t i = 0; i < n; i++) {
    enum vline_result r = vline_add(line, &len, MAX, (uint8_t)s[i]);
    if (r == VLINE_FULL) {
      fulls++;
      len = 0;                 // the caller printed it: start again
      r = vline_add(line, &len, MAX, (uint8_t)s[i]);
    }
    if (r == VLINE_END)
      ends++;
  }
  line[len] = 0;
  return line;
}

#define FEED(s) feed(s, sizeof(s) - 1)

static void plain_text_kept(void) {
  CHECK_STR(FEED("hello, world\ttab"), "hello, world\ttab");
  CHECK_EQ(ends, 0);
}

static void newline_ends_the_line(void) {
  FEED("a\n");
  CHECK_EQ(ends, 1);
}

// The forged monitor line of finding 10.6: the escapes are shown, so the
// line still reads as the guest's.
static void escape_sequences_made_visible(void) {
  CHECK_STR(FEED("\x1b[2K\x1b[1Gvm victim: stopped"),
            "^[[2K^[[1Gvm victim: stopped");
}

static void carriage_return_dropped(void) {
  CHECK_STR(FEED("fake\rpanic: x"), "fakepanic: x");
  CHECK_STR(FEED("line\r\n"), "line");
  CHECK_EQ(ends, 1);
}

static void other_controls_in_caret_notation(void) {
  CHECK_STR(FEED("\x01\x07\x0b\x0c\x7f" "a"), "^A^G^K^L^?a");
  CHECK_STR(feed("\0z", 2), "^@z");
}

// A backspace takes back the guest's own last byte, never more: the
// "\b \b" of a line editor works, and a run of them stops at the start.
static void backspace_only_on_own_bytes(void) {
  CHECK_STR(FEED("ab\b \b"), "a");
  CHECK_STR(FEED("ab\b\b\b\b\bc"), "c");
}

// U+009B, CSI, is a control in UTF-8 too (C2 9B), and a lone 0x9B is one
// to a terminal that is not in UTF-8 mode.
static void c1_controls_made_visible(void) {
  CHECK_STR(FEED("\xc2\x9b" "2K"), "^[[2K");
  CHECK_STR(FEED("\x9b" "1G"), "^[[1G");
  CHECK_STR(FEED("\xc2\x85"), "^[E");
}

// Real UTF-8 text keeps its bytes, continuation bytes in 80..9F included
// (the euro sign is E2 82 AC; U+00E9 is C3 A9; U+1F600 is F0 9F 98 80).
static void utf8_text_kept(void) {
  CHECK_STR(FEED("\xe2\x82\xac \xc3\xa9 \xf0\x9f\x98\x80"),
            "\xe2\x82\xac \xc3\xa9 \xf0\x9f\x98\x80");
  CHECK_STR(FEED("\xc2\xa0"), "\xc2\xa0");          // no-break space
}

// A line never grows past its room; what does not fit starts the next
// one, and a shown control is never cut in two.
static void full_line_handed_back(void) {
  char s[MAX + 1];
  memset(s, 'x', MAX - 1);
  s[MAX - 1] = 0x1b;           // ^[ needs two bytes; only one is left
  feed(s, MAX);
  CHECK_EQ(fulls, 1);
  CHECK_STR(line, "^[");
  memset(s, 'y', MAX + 1);
  feed(s, MAX + 1);
  CHECK_EQ(fulls, 1);
  CHECK_STR(line, "y");
}

int main(void) {
  TEST_RUN(plain_text_kept);
  TEST_RUN(newline_ends_the_line);
  TEST_RUN(escape_sequences_made_visible);
  TEST_RUN(carriage_return_dropped);
  TEST_RUN(other_controls_in_caret_notation);
  TEST_RUN(backspace_only_on_own_bytes);
  TEST_RUN(c1_controls_made_visible);
  TEST_RUN(utf8_text_kept);
  TEST_RUN(full_line_handed_back);
  return TEST_EXIT();
}
