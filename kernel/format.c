// kernel/format.c: the printf engine (see kernel/format.h).
#include "kernel/format.h"

static void put(struct sink *s, char c) {
  s->put(s, c);
  s->len++;
}

// Put `n` copies of c.
static void pad(struct sink *s, char c, int n) {
  while (n-- > 0)
    put(s, c);
}

// The options one conversion may carry: "%-08lx" is left=1, zero=1,
// width=8, then the l modifier and the x conversion.
struct spec {
  bool left;     // '-': pad on the right
  bool zero;     // '0': pad numbers with zeros instead of spaces
  int width;     // minimum field width
};

// Put a string, padded to the field width.
static void put_str(struct sink *s, const char *str, struct spec sp) {
  int n = 0;
  if (str == NULL)
    str = "(null)";
  while (str[n])
    n++;
  if (!sp.left)
    pad(s, ' ', sp.width - n);
  for (int i = 0; i < n; i++)
    put(s, str[i]);
  if (sp.left)
    pad(s, ' ', sp.width - n);
}

// Put an unsigned number in base 10 or 16, with an optional minus sign
// in front, padded to the field width. The digits are made backwards
// into a small buffer (a 64-bit number has at most 20 decimal digits).
static void put_num(struct sink *s, uint64_t v, int base, bool upper,
                    bool negative, struct spec sp) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = digits[v % (uint64_t)base];
    v /= (uint64_t)base;
  } while (v != 0);

  int len = n + (negative ? 1 : 0);
  if (sp.left) {                     // "-5   "
    if (negative)
      put(s, '-');
    while (n > 0)
      put(s, tmp[--n]);
    pad(s, ' ', sp.width - len);
  } else if (sp.zero) {              // "-0005": the sign goes first
    if (negative)
      put(s, '-');
    pad(s, '0', sp.width - len);
    while (n > 0)
      put(s, tmp[--n]);
  } else {                           // "   -5"
    pad(s, ' ', sp.width - len);
    if (negative)
      put(s, '-');
    while (n > 0)
      put(s, tmp[--n]);
  }
}

int vformat(struct sink *s, const char *fmt, va_list ap) {
  size_t start = s->len;
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(s, *p);
      continue;
    }
    const char *conv = p;       // where this conversion began, for errors
    p++;

    // Flags, then width, then length modifier (C11 7.21.6.1).
    struct spec sp = {false, false, 0};
    for (;; p++) {
      if (*p == '-')
        sp.left = true;
      else if (*p == '0')
        sp.zero = true;
      else
        break;
    }
    while (*p >= '0' && *p <= '9')
      sp.width = sp.width * 10 + (*p++ - '0');
    int longs = 0;              // 0: int, 1: long, 2: long long
    while (*p == 'l' && longs < 2) {
      longs++;
      p++;
    }

    switch (*p) {
    case 'd':
    case 'i': {
      int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
      // Negate as unsigned: -INT64_MIN does not fit in an int64_t.
      uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      put_num(s, mag, 10, false, v < 0, sp);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
      put_num(s, v, *p == 'u' ? 10 : 16, *p == 'X', false, sp);
      break;
    }
    case 'p': {
      // A pointer: "0x" and 16 hex digits, always the same width, so
      // addresses line up in tables.
      uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
      put(s, '0');
      put(s, 'x');
      struct spec ps = {false, true, 16};
      put_num(s, v, 16, false, false, ps);
      break;
    }
    case 's':
      put_str(s, va_arg(ap, const char *), sp);
      break;
    case 'c': {
      char one[2] = {(char)va_arg(ap, int), 0};
      put_str(s, one, sp);
      break;
    }
    case '%':
      put(s, '%');
      break;
    default:
      // Unknown conversion (or the string ended inside one): print what
      // was written and go on.
      for (const char *q = conv; q <= p && *q; q++)
        put(s, *q);
      if (*p == 0)
        p--;                    // let the loop see the end of the string
      break;
    }
  }
  return (int)(s->len - start);
}
