// guest-os/user/ulib.c: the user library: program start, strings,
// printf (see guest-os/user/ulib.h).
#include "guest-os/fs_format.h"
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

int empty_dir(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  // A directory reads as a file of entries (guest-os/fs_format.h); inode
  // number 0 is an empty slot, and a slot we unlink becomes one.
  struct fs_dirent de;
  char name[128];
  int left = 0, len = (int)strlen(path);
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0 || strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0)
      continue;
    if (len + 1 + FS_NAME_MAX + 1 > (int)sizeof(name)) {
      left++;
      continue;
    }
    strcpy(name, path);
    name[len] = '/';
    memcpy(name + len + 1, de.name, FS_NAME_MAX);
    name[len + 1 + FS_NAME_MAX] = 0;     // a 28-byte name has no NUL
    if (unlink(name) < 0)
      left++;
  }
  close(fd);
  return left;
}

uint64_t uptime_us(void) {
  static uint64_t rate;               // ticks a second, asked once
  if (rate == 0)
    rate = (uint64_t)timebase();
  uint64_t t;
  asm volatile("rdtime %0" : "=r"(t));
  return t / rate * 1000000 + t % rate * 1000000 / rate;
}

long atol(const char *s) {
  long sign = 1, v = 0;
  if (*s == '-')
    sign = -1, s++;
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return sign * v;
}

int parse_number(const char *s, long *v) {
  const char *digits = *s == '-' ? s + 1 : s;
  if (*digits == 0)
    return -1;
  for (const char *p = digits; *p; p++)
    if (!isdigit(*p))
      return -1;
  *v = atol(s);
  return 0;
}

char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++) != 0)
    ;
  return dst;
}

int isspace(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

int isdigit(int c) {
  return c >= '0' && c <= '9';
}

// ---- malloc and free ----
// The simplest allocator that reuses memory: every block starts with a
// header holding its size (header included, a multiple of 16 so that
// what malloc returns is 16-byte aligned, as the RISC-V psABI wants);
// freed blocks go on a list kept in address order, where a neighbour
// that is also free is merged with them. malloc takes the first free
// block big enough (splitting off the rest), else grows the heap with
// sbrk.

struct header {
  struct header *next;     // the next free block (only while free)
  size_t size;             // bytes, this header included
};

#define ALIGN 16
#define MIN_GROW (64 * 1024)   // sbrk at least this much at a time

static struct header *free_list;   // free blocks, lowest address first

void free(void *p) {
  if (p == NULL)
    return;
  struct header *h = (struct header *)p - 1;
  // Find where h goes in the address-ordered list.
  struct header **link = &free_list;
  while (*link != NULL && *link < h)
    link = &(*link)->next;
  struct header *after = *link;
  // Merge with the block after it, if they touch.
  if (after != NULL && (char *)h + h->size == (char *)after) {
    h->size += after->size;
    h->next = after->next;
  } else {
    h->next = after;
  }
  *link = h;
  // Merge with the block before it, if they touch. The block before is
  // the one whose next field `link` is (unless h is now first).
  if (link != &free_list) {
    struct header *before =
        (struct header *)((char *)link - offsetof(struct header, next));
    if ((char *)before + before->size == (char *)h) {
      before->size += h->size;
      before->next = h->next;
    }
  }
}

// Grow the heap by at least `size` bytes and put the new memory on the
// free list. 0, or -1 when sbrk says no.
static int grow(size_t size) {
  if (size < MIN_GROW)
    size = MIN_GROW;
  char *p = sbrk((long)size + ALIGN);
  if (p == (char *)-1)
    return -1;
  // The break need not be aligned (it follows the program's data): the
  // ALIGN extra bytes let the block start on a boundary.
  char *start = (char *)(((uintptr_t)p + ALIGN - 1) / ALIGN * ALIGN);
  struct header *h = (struct header *)start;
  h->size = size;
  free(h + 1);
  return 0;
}

void *malloc(size_t n) {
  if (n == 0 || n > ((size_t)1 << 40))
    return NULL;
  size_t size = (n + sizeof(struct header) + ALIGN - 1) / ALIGN * ALIGN;
  for (;;) {
    for (struct header **link = &free_list; *link; link = &(*link)->next) {
      struct header *h = *link;
      if (h->size < size)
        continue;
      if (h->size - size >= 2 * ALIGN) {
        // Split: the tail stays free, in h's place on the list.
        struct header *rest = (struct header *)((char *)h + size);
        rest->size = h->size - size;
        rest->next = h->next;
        *link = rest;
        h->size = size;
      } else {
        *link = h->next;
      }
      return h + 1;
    }
    if (grow(size) < 0)
      return NULL;
  }
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
