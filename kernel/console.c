// kernel/console.c: the console (see kernel/console.h).
#include "kernel/console.h"
#include "kernel/sbi.h"
#include "kernel/string.h"

struct spinlock console_lock = SPINLOCK_INIT("console");

// The open line (see kernel/console.h), and where the terminal is. All
// under console_lock.
static char open_line[CONSOLE_OPEN_MAX];
static size_t open_len;         // 0: no open line
static bool open_shown;         // it is on the terminal, at the bottom
static bool at_line_start = true;   // the last byte out was a newline

// The terminal's "erase this line": carriage return, then EL (Erase in
// Line, ECMA-48 8.3.41: "ESC [ K" erases from the cursor to the end).
static const char erase[] = "\r\033[K";

void console_init(void) { sbi_console_init(); }

// Take the open line off the terminal, if it is there.
static void hide_open_line(void) {
  if (open_shown) {
    sbi_console_write(erase, sizeof(erase) - 1);
    open_shown = false;
    at_line_start = true;
  }
}

// Put the open line back at the bottom, if there is one and the terminal
// is at the start of a line (someone else's unfinished line must not get
// it glued on; it comes back after their newline).
static void show_open_line(void) {
  if (open_len > 0 && !open_shown && at_line_start) {
    sbi_console_write(open_line, open_len);
    open_shown = true;
  }
}

void console_write(const char *s, size_t n) {
  if (n == 0)
    return;
  hide_open_line();
  sbi_console_write(s, n);
  at_line_start = s[n - 1] == '\n';
  show_open_line();
}

void console_set_open_line(const char *s, size_t n) {
  if (n > sizeof(open_line))
    n = sizeof(open_line);
  if (open_shown && n >= open_len && memcmp(s, open_line, open_len) == 0) {
    // The line grew (a byte typed, a prompt printed): write only the
    // new bytes.
    sbi_console_write(s + open_len, n - open_len);
  } else {
    hide_open_line();
  }
  memcpy(open_line, s, n);
  open_len = n;
  show_open_line();
}

void console_close_open_line(void) {
  if (open_len > 0 && !open_shown) {
    // Hidden behind someone's unfinished line: on a line of its own.
    if (!at_line_start)
      sbi_console_write("\n", 1);
    sbi_console_write(open_line, open_len);
  }
  if (open_len > 0) {
    sbi_console_write("\n", 1);     // it stays on the terminal, finished
    at_line_start = true;
  }
  open_len = 0;
  open_shown = false;
}

void console_clear_open_line(void) {
  hide_open_line();
  open_len = 0;
}

int console_getc(void) { return sbi_console_getc(); }
