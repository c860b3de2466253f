// kernel/printf.c: printf to the console, snprintf to a buffer.
#include "kernel/printf.h"
#include "kernel/console.h"
#include "kernel/format.h"

// ---- snprintf: a sink that fills a buffer and drops what does not fit.
static void buf_put(struct sink *s, char c) {
  if (s->size > 0 && s->len < s->size - 1)
    s->buf[s->len] = c;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct sink s = {buf_put, buf, size, 0};
  int n = vformat(&s, fmt, ap);
  if (size > 0)
    buf[s.len < size ? s.len : size - 1] = 0;
  return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

// ---- printf: a sink that collects characters in a small buffer and
// writes it to the console when full, to save firmware calls.
struct console_sink {
  struct sink s;        // must be first: the engine sees only this part
  char chunk[64];
  size_t n;             // bytes waiting in chunk
};

static void console_put(struct sink *s, char c) {
  struct console_sink *cs = (struct console_sink *)s;
  cs->chunk[cs->n++] = c;
  if (cs->n == sizeof(cs->chunk)) {
    console_write(cs->chunk, cs->n);
    cs->n = 0;
  }
}

int vprintf(const char *fmt, va_list ap) {
  struct console_sink cs = {{console_put, NULL, 0, 0}, {0}, 0};
  acquire(&console_lock);
  int n = vformat(&cs.s, fmt, ap);
  console_write(cs.chunk, cs.n);
  release(&console_lock);
  return n;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}
