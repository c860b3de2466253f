// guest-os/tty.c: the console's line discipline (see guest-os/tty.h).
//
// Typed bytes wait in a ring buffer of TTY_BUF bytes, seen through three
// counters that only ever grow (an index is a counter modulo TTY_BUF):
//
//        taken          ready               typed
//   ... --+--------------+-------------------+-- ... free ...
//         | complete     | the line being    |
//         | lines, for   | typed: echoed,    |
//         | read()       | still editable    |
//
// read() takes from [taken, ready); Enter moves ready up to typed, which
// makes the line readable and wakes the readers; backspace moves typed
// back, but never below ready. Ctrl-D ends the line without a newline,
// and, alone on a line, is stored as a marker that read() turns into a
// 0-byte read: end of file.
#include "guest-os/aspace.h"
#include "guest-os/proc.h"
#include "guest-os/tty.h"
#include "guest-os/uart.h"
#include "kernel/console.h"

#define TTY_BUF 256
#define CTRL(c) ((c) - '@')
#define EOF_MARK CTRL('D')

static struct {
  struct spinlock lock;
  char buf[TTY_BUF];
  uint64_t taken, ready, typed;
} tty = {.lock = SPINLOCK_INIT("tty")};

// Send bytes to the UART as a terminal wants them: "\n" as "\r\n". The
// caller holds console_lock, so a line never mixes with another hart's
// printf (kernel/printf.c holds the same lock).
static void put_bytes(const char *s, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    if (s[i] == '\n')
      uart_putc('\r');
    uart_putc(s[i]);
  }
}

// Show the user what the buffer did.
static void echo(const char *s, uint64_t n) {
  acquire(&console_lock);
  put_bytes(s, n);
  release(&console_lock);
}

// The line is complete: let read() have it. Caller holds tty.lock.
static void line_done(void) {
  tty.ready = tty.typed;
  proc_wakeup(&tty.ready);
}

void tty_input(int c) {
  acquire(&tty.lock);
  if (c == '\r')
    c = '\n';                               // Enter, from a terminal
  if (c == '\b' || c == 0x7f) {             // backspace, delete
    if (tty.typed > tty.ready) {
      tty.typed--;
      echo("\b \b", 3);
    }
  } else if (c == CTRL('U')) {              // erase the whole line
    for (; tty.typed > tty.ready; tty.typed--)
      echo("\b \b", 3);
  } else if (c == EOF_MARK) {
    if (tty.typed == tty.ready && tty.typed - tty.taken < TTY_BUF)
      tty.buf[tty.typed++ % TTY_BUF] = EOF_MARK;
    line_done();
  } else if (tty.typed - tty.taken < TTY_BUF) {
    char ch = (char)c;
    tty.buf[tty.typed++ % TTY_BUF] = ch;
    echo(&ch, 1);
    // A full buffer counts as a line, or nobody could ever read it.
    if (ch == '\n' || tty.typed - tty.taken == TTY_BUF)
      line_done();
  }
  release(&tty.lock);
}

int64_t tty_read(struct proc *p, uint64_t uva, uint64_t n) {
  if (n == 0)
    return 0;
  // Check the buffer before waiting, so a bad one fails at once.
  if (!user_range_ok(&p->as, uva, n, true))
    return -1;
  acquire(&tty.lock);
  while (tty.taken == tty.ready) {
    if (proc_killed(p)) {
      release(&tty.lock);
      return -1;
    }
    proc_sleep(&tty.ready, &tty.lock);
  }
  // At most one line: stop after its newline, or before an end-of-file
  // mark unless that comes first (then it is the 0-byte read).
  uint64_t got = 0;
  while (got < n && tty.taken < tty.ready) {
    char c = tty.buf[tty.taken % TTY_BUF];
    if (c == EOF_MARK) {
      if (got == 0)
        tty.taken++;
      break;
    }
    tty.taken++;
    if (copy_to_user(&p->as, uva + got, &c, 1) < 0)
      break;                                // cannot happen: checked above
    got++;
    if (c == '\n')
      break;
  }
  release(&tty.lock);
  return (int64_t)got;
}

int64_t tty_write(struct proc *p, uint64_t uva, uint64_t n) {
  if (!user_range_ok(&p->as, uva, n, false))
    return -1;
  char chunk[128];
  for (uint64_t off = 0; off < n; off += sizeof(chunk)) {
    uint64_t len = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
    if (copy_from_user(&p->as, chunk, uva + off, len) < 0)
      return off > 0 ? (int64_t)off : -1;
    acquire(&console_lock);
    put_bytes(chunk, len);
    release(&console_lock);
  }
  return (int64_t)n;
}
