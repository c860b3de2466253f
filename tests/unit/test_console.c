// tests/unit/test_console.c: the console's open line (kernel/console.c).
//
// The monitor keeps the focused VM's unfinished line (its prompt, what
// is typed after it) at the bottom of the terminal, and prints all else
// above it. If the bookkeeping slips, a prompt vanishes, a line of the
// monitor lands glued after a prompt, or a finished line is lost; the
// system tests saw exactly that before this mechanism. Each case makes
// the calls the monitor makes and compares every byte that went to the
// firmware's console, erase sequences included.
#include <stdlib.h>
#include "kernel/console.h"
#include "tests/unit/unit.h"

// ---- The firmware's console, faked: bytes collect in `out` ----
static char out[1024];
static size_t out_len;

void sbi_console_write(const char *s, size_t n) {
  if (out_len + n < sizeof(out)) {
    memcpy(out + out_len, s, n);
    out_len += n;
    out[out_len] = 0;
  }
}
void sbi_console_init(void) {}
int sbi_console_getc(void) { return -1; }

#define ERASE "\r\033[K"

// What went out since the last call, as a string; and forget it.
static const char *taken(void) {
  static char copy[sizeof(out)];
  memcpy(copy, out, out_len + 1);
  out_len = 0;
  out[0] = 0;
  return copy;
}

static void say(const char *s) { console_write(s, strlen(s)); }
static void open_line(const char *s) { console_set_open_line(s, strlen(s)); }

// Start each case with no open line and the terminal at a line's start.
static void reset(void) {
  console_clear_open_line();
  say("\n");
  taken();
}

// No open line: writes go out as they are.
static void plain_writes(void) {
  reset();
  say("abc");
  say("def\n");
  CHECK_STR(taken(), "abcdef\n");
}

// An open line that grows is written once, then only its new bytes.
static void open_line_grows(void) {
  reset();
  open_line("[a] $ ");
  open_line("[a] $ l");
  open_line("[a] $ ls");
  CHECK_STR(taken(), "[a] $ ls");
}

// A line printed meanwhile goes above the open line, which is drawn again.
static void line_goes_above(void) {
  reset();
  open_line("[a] $ ");
  taken();
  say("[b] hello\n");
  CHECK_STR(taken(), ERASE "[b] hello\n[a] $ ");
}

// An unfinished line of someone else's keeps the open line off the
// terminal until it is finished, so nothing is glued onto it.
static void waits_for_newline(void) {
  reset();
  open_line("[a] $ ");
  taken();
  say("counters: ");
  say("x=1\n");
  CHECK_STR(taken(), ERASE "counters: x=1\n[a] $ ");
}

// A shrinking line (a backspace) is erased and drawn again.
static void open_line_shrinks(void) {
  reset();
  open_line("[a] $ lx");
  taken();
  open_line("[a] $ l");
  CHECK_STR(taken(), ERASE "[a] $ l");
}

// Closing finishes the line where it is; later writes are plain again.
static void close_keeps_line(void) {
  reset();
  open_line("[a] $ ls");
  console_close_open_line();
  say("[b] hi\n");
  CHECK_STR(taken(), "[a] $ ls\n[b] hi\n");
}

// Closing a line hidden behind someone's unfinished line puts it on a
// line of its own: it is not lost, and not glued on.
static void close_while_hidden(void) {
  reset();
  open_line("[a] $ ");
  say("partial");
  console_close_open_line();
  CHECK_STR(taken(), "[a] $ " ERASE "partial\n[a] $ \n");
}

// Clearing takes it off the terminal and forgets it.
static void clear_forgets(void) {
  reset();
  open_line("[a] typing");
  console_clear_open_line();
  say("[b] x\n");
  CHECK_STR(taken(), "[a] typing" ERASE "[b] x\n");
}

// A line longer than CONSOLE_OPEN_MAX is cut, never overrun.
static void long_line_is_cut(void) {
  reset();
  char big[CONSOLE_OPEN_MAX + 50];
  memset(big, 'x', sizeof(big));
  console_set_open_line(big, sizeof(big));
  CHECK_EQ(strlen(taken()), CONSOLE_OPEN_MAX);
}

int main(void) {
  TEST_RUN(plain_writes);
  TEST_RUN(open_line_grows);
  TEST_RUN(line_goes_above);
  TEST_RUN(waits_for_newline);
  TEST_RUN(open_line_shrinks);
  TEST_RUN(close_keeps_line);
  TEST_RUN(close_while_hidden);
  TEST_RUN(clear_forgets);
  TEST_RUN(long_line_is_cut);
  return TEST_EXIT();
}
