// guest-os/user/ulib.c: the user library: program start, strings,
// printf (see guest-os/user/ulib.h).
#include "guest-os/user/ulib.h"

int main(int argc, char **argv);

// Where exec starts a program (guest-os/exec.c puts argc in a0, argv in
// a1 and a 16-byte aligned sp): run main, and exit with what it returns.
// In its own section so that user.ld can put it first, where the
// disassembly is easy to find.
__attribute__((section(".text.start"))) void _start(int argc, char **argv) {
  exit(main(argc, argv));
}

// ---- Strings and memory (their C library contracts, C11 7.24) ----

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; n--, a++, b++)
    if (*a != *b || *a == 0)
      return (unsigned char)*a - (unsigned char)*b;
  return 0;
}

char *strchr(const char *s, int c) {
  for (; *s; s++)
    if (*s == (char)c)
      return (char *)s;
  return c == 0 ? (char *)s : NULL;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n-- > 0)
    *d++ = (unsigned char)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n-- > 0)
    *d++ = *s++;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n > 0; n--, x++, y++)
    if (*x != *y)
      return *x - *y;
  return 0;
}

long atol(const char *s) {
  long sign = 1, v = 0;
  if (*s == '-')
    sign = -1, s++;
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return sign * v;
}

// ---- printf ----
// Characters collect in a buffer that goes out in one write() when it
// fills and at the end, so that a line is usually one system call (and
// so not split by another process's output).

struct out {
  int fd;
  int len;
  int total;
  char buf[256];
};

static void flush(struct out *o) {
  if (o->len > 0)
    write(o->fd, o->buf, o->len);
  o->len = 0;
}

static void put(struct out *o, char c) {
  if (o->len == (int)sizeof(o->buf))
    flush(o);
  o->buf[o->len++] = c;
  o->total++;
}

// Put s (n bytes) padded to `width` with `pad`, on the left unless left.
static void put_padded(struct out *o, const char *s, int n, int width,
                       char pad, int left) {
  for (int i = n; !left && i < width; i++)
    put(o, pad);
  for (int i = 0; i < n; i++)
    put(o, s[i]);
  for (int i = n; left && i < width; i++)
    put(o, ' ');
}

// v in base 10 or 16, with a '-' if neg, padded as put_padded does.
static void put_number(struct out *o, unsigned long v, int base, int neg,
                       int width, char pad, int left) {
  char tmp[24];
  int n = sizeof(tmp);
  do {
    tmp[--n] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  if (neg && pad == '0') {
    put(o, '-');                 // "-0042": the sign before the zeros
    width--;
  } else if (neg) {
    tmp[--n] = '-';
  }
  put_padded(o, tmp + n, sizeof(tmp) - n, width, pad, left);
}

int vfprintf(int fd, const char *fmt, va_list ap) {
  struct out o = {.fd = fd};
  // A conversion is %[-][0][width][l...]letter; everything else is
  // copied as it is.
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    int left = 0, width = 0, longs = 0;
    char pad = ' ';
    if (*++fmt == '-')
      left = 1, fmt++;
    if (*fmt == '0')
      pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l')
      longs++, fmt++;
    switch (*fmt) {
    case 'd': {
      // Negate as unsigned: -LONG_MIN does not fit in a long.
      long v = longs ? va_arg(ap, long) : va_arg(ap, int);
      put_number(&o, v < 0 ? -(unsigned long)v : (unsigned long)v, 10, v < 0,
                 width, pad, left);
      break;
    }
    case 'u':
    case 'x': {
      unsigned long v = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
      put_number(&o, v, *fmt == 'u' ? 10 : 16, 0, width, pad, left);
      break;
    }
    case 'p':
      put(&o, '0'), put(&o, 'x');
      put_number(&o, (unsigned long)va_arg(ap, void *), 16, 0, 0, ' ', 0);
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (s == NULL)
        s = "(null)";
      put_padded(&o, s, (int)strlen(s), width, ' ', left);
      break;
    }
    case 'c':
      put(&o, (char)va_arg(ap, int));
      break;
    case '%':
      put(&o, '%');
      break;
    case 0:
      fmt--;                       // a lone '%' at the end
      break;
    default:                       // unknown: print it as written
      put(&o, '%');
      put(&o, *fmt);
      break;
    }
  }
  flush(&o);
  return o.total;
}

int fprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(1, fmt, ap);
  va_end(ap);
  return n;
}

long readline(int fd, char *buf, long n) {
  // The console hands out at most one line per read, but a read may
  // also stop short of the newline (a full kernel line buffer, Ctrl-D in
  // mid-line): so read until the newline, end of file or a full buf.
  long got = 0;
  while (got < n - 1) {
    long r = read(fd, buf + got, n - 1 - got);
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    got += r;
    if (buf[got - 1] == '\n')
      break;
  }
  buf[got] = 0;
  return got;
}
