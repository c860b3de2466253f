// kernel/fdt_write.c: write a flattened device tree (DTB) into a buffer.
//
// The blob we produce has the layout kernel/fdt.c draws (Devicetree
// Specification v0.4, chapter 5): a 40-byte header, the memory
// reservation block, the structure block, the strings block. The
// trouble for a one-pass writer is that the strings block comes last,
// yet every property in the structure block must already name its
// string by offset (5.4.1, nameoff). So, as the header file draws, we
// grow the structure block up from the front of the buffer and the
// strings down from the back, and meet in the middle:
//
//   while writing                          after fdt_write_finish()
//   +--------------------+ 0               +--------------------+ 0
//   | (header: not yet)  |                 | header             |
//   | rsv entries, {0,0} | 40              | rsv entries, {0,0} | 40
//   | structure block    | struct_off      | structure block    |
//   |   ... FDT_PROP     |                 |   ... FDT_END      |
//   +--------------------+ end             +--------------------+ end
//   |   free             |                 | strings block      |
//   +--------------------+                 +--------------------+ totalsize
//   | "reg\0"            |                 |   unused           |
//   | "#address-cells\0" |                 |                    |
//   +--------------------+ size            +--------------------+ size
//
// While writing, a property's nameoff holds the distance from its name
// to the END of the buffer, which never changes. Only finish knows where
// the strings block will start, so finish rewrites each nameoff to
// strings_size - distance, then memmove()s the strings down to `end`.
//
// All numbers are stored big-endian, a byte at a time, so neither the
// buffer nor any field needs to be aligned in memory.

#include "kernel/types.h"
#include "kernel/string.h"
#include "kernel/fdt.h"
#include "kernel/fdt_write.h"

// Header constants (spec 5.2) and tokens (spec 5.4.1), as in fdt.c.
#define FDT_MAGIC        0xd00dfeedU
#define FDT_HEADER_SIZE  40
#define FDT_VERSION      17        // the version we write...
#define FDT_LAST_COMP    16        // ...readable by any reader of 16 or later
#define FDT_BEGIN_NODE   1
#define FDT_END_NODE     2
#define FDT_PROP         3
#define FDT_END          9

// fdt.c refuses blobs over 1 GiB, so we never use more of a buffer than
// that; it also keeps every offset and every "+ 12 + len" in a uint32_t.
#define FDT_WRITE_MAX    (1U << 30)

// Store v big-endian at p.
static void put32(uint8_t *p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void put64(uint8_t *p, uint64_t v) {
  put32(p, v >> 32);
  put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

// Round up to the next token boundary (spec 5.6).
static size_t align4(size_t n) {
  return (n + 3) & ~(size_t)3;
}

// Record err, unless an earlier error is recorded already: the first
// error is the one worth reporting.
static void fail(struct fdt_writer *w, int err) {
  if (w->err == 0)
    w->err = err;
}

// Bytes still free between the front part and the strings at the back.
// Only meaningful while w->err is 0 (fdt_write_begin makes sure).
static size_t room(const struct fdt_writer *w) {
  return w->size - w->strings_size - w->end;
}

// Take n bytes, rounded up to 4, from the front part and zero them, so
// the padding after names and values is zeros (5.4.1). Returns where
// they start, or NULL (having recorded FDT_ERR_NOSPACE, or an earlier
// error) when they do not fit.
static uint8_t *grow(struct fdt_writer *w, size_t n) {
  uint8_t *p;

  if (w->err)
    return NULL;
  n = align4(n);
  if (n > room(w)) {
    fail(w, FDT_ERR_NOSPACE);
    return NULL;
  }
  p = w->buf + w->end;
  memset(p, 0, n);
  w->end += n;
  return p;
}

// Append one token word to the structure block.
static void token(struct fdt_writer *w, uint32_t tok) {
  uint8_t *p = grow(w, 4);

  if (p)
    put32(p, tok);
}

// Find `name` among the names stored so far, whole strings only.
// Returns its distance from the end of the buffer, or 0 if absent (a
// stored name is at least its NUL, so its distance is never 0).
static uint32_t find_name(const struct fdt_writer *w, const char *name) {
  const char *end = (const char *)w->buf + w->size;
  const char *s = end - w->strings_size;

  // Every stored name ends in a NUL we wrote, so strlen stays inside.
  for (; s < end; s += strlen(s) + 1)
    if (strcmp(s, name) == 0)
      return (uint32_t)(end - s);
  return 0;
}

// The provisional nameoff of `name` (its distance from the end of the
// buffer; see the top of the file), storing it at the back if it is
// new, so each name is stored once however many properties use it.
// Returns 0 after recording FDT_ERR_NOSPACE when it does not fit.
static uint32_t name_ref(struct fdt_writer *w, const char *name) {
  size_t n = strlen(name) + 1;
  uint32_t dist = find_name(w, name);

  if (dist != 0)
    return dist;
  if (n > room(w)) {
    fail(w, FDT_ERR_NOSPACE);
    return 0;
  }
  w->strings_size += n;
  memcpy(w->buf + w->size - w->strings_size, name, n);
  return w->strings_size;
}

// Append the head of a property with a value of `len` bytes to the open
// node: FDT_PROP, len, nameoff (5.4.1), then room for the value, zeroed
// and padded. Returns where the value goes, or NULL after an error.
static uint8_t *prop_space(struct fdt_writer *w, const char *name, size_t len) {
  uint32_t dist;
  uint8_t *p;

  if (w->err)
    return NULL;
  // 5.4.2: properties belong to a node and come before its children.
  if (w->depth == 0 || w->after_child) {
    fail(w, FDT_ERR_BADSTRUCT);
    return NULL;
  }
  if (len > FDT_WRITE_MAX) {
    fail(w, FDT_ERR_NOSPACE);
    return NULL;
  }
  dist = name_ref(w, name);
  if ((p = grow(w, 12 + len)) == NULL)
    return NULL;
  put32(p, FDT_PROP);
  put32(p + 4, (uint32_t)len);
  put32(p + 8, dist);
  return p + 12;
}

// Turn each provisional nameoff (distance from the end of the buffer)
// into a real one (offset into the strings block, which will hold the
// strings_size bytes that end at the end of the buffer). The stream is
// the one we wrote, so it needs no checking.
static void fix_names(struct fdt_writer *w) {
  uint8_t *b = w->buf;
  size_t off = w->struct_off;

  while (off < w->end) {
    switch (get32(b + off)) {
    case FDT_BEGIN_NODE:
      off = align4(off + 4 + strlen((const char *)b + off + 4) + 1);
      break;
    case FDT_PROP:
      put32(b + off + 8, w->strings_size - get32(b + off + 8));
      off = align4(off + 12 + get32(b + off + 4));
      break;
    default:                        // FDT_END_NODE, FDT_END
      off += 4;
      break;
    }
  }
}

// Start a tree in buf[0..size). Nothing is written until something fits.
void fdt_write_begin(struct fdt_writer *w, void *buf, size_t size) {
  memset(w, 0, sizeof(*w));
  w->buf = buf;
  w->size = size > FDT_WRITE_MAX ? FDT_WRITE_MAX : (uint32_t)size;
  w->end = FDT_HEADER_SIZE;         // the header is filled in last
  if (buf == NULL || w->size < FDT_HEADER_SIZE) {
    w->size = w->end = 0;           // so room() is 0, not negative
    w->err = FDT_ERR_NOSPACE;
  }
}

// Add a reservation entry {addr, size} (5.3.2). They sit between the
// header and the structure block, so they must all come before the first
// node. A {0, 0} entry would end the list early: FDT_ERR_BADVALUE.
void fdt_write_memreserve(struct fdt_writer *w, uint64_t addr, uint64_t size) {
  uint8_t *p;

  if (w->err)
    return;
  if (w->struct_off != 0) {
    fail(w, FDT_ERR_BADSTRUCT);
    return;
  }
  if (addr == 0 && size == 0) {
    fail(w, FDT_ERR_BADVALUE);
    return;
  }
  if ((p = grow(w, 16)) == NULL)
    return;
  put64(p, addr);
  put64(p + 8, size);
}

// Open a node: FDT_BEGIN_NODE and its NUL-terminated name, padded
// (5.4.1). The first node is the root, named "" (5.4.2); there is only
// one root, and every other node has a name.
void fdt_write_node_begin(struct fdt_writer *w, const char *name) {
  uint8_t *p;
  size_t n;

  if (w->err)
    return;
  if (w->root_done || (w->depth == 0) != (name[0] == '\0')) {
    fail(w, FDT_ERR_BADSTRUCT);
    return;
  }
  if (w->struct_off == 0) {
    // The first node: end the reservation block with its {0, 0}
    // entry (grow() zeroes it); the structure block starts after it.
    if (grow(w, 16) == NULL)
      return;
    w->struct_off = w->end;
  }
  n = strlen(name) + 1;
  if (n > FDT_WRITE_MAX || (p = grow(w, 4 + n)) == NULL) {
    fail(w, FDT_ERR_NOSPACE);
    return;
  }
  put32(p, FDT_BEGIN_NODE);
  memcpy(p + 4, name, n);
  w->depth++;
  w->after_child = false;           // the new node has no children yet
}

// Close the node opened last with FDT_END_NODE.
void fdt_write_node_end(struct fdt_writer *w) {
  if (w->err)
    return;
  if (w->depth == 0) {
    fail(w, FDT_ERR_BADSTRUCT);     // nothing is open
    return;
  }
  token(w, FDT_END_NODE);
  if (w->err)
    return;
  w->depth--;
  w->after_child = true;            // the parent has had a child now
  if (w->depth == 0)
    w->root_done = true;
}

// A property of `len` raw bytes.
void fdt_write_prop(struct fdt_writer *w, const char *name, const void *val,
               int len) {
  uint8_t *p;

  if (len < 0 || (val == NULL && len > 0)) {
    fail(w, FDT_ERR_BADVALUE);
    return;
  }
  if ((p = prop_space(w, name, (size_t)len)) != NULL && len > 0)
    memcpy(p, val, (size_t)len);
}

// A property with no value, a flag such as "interrupt-controller"
// (2.2.4, <empty>).
void fdt_write_prop_empty(struct fdt_writer *w, const char *name) {
  prop_space(w, name, 0);
}

// One cell, <u32>.
void fdt_write_prop_u32(struct fdt_writer *w, const char *name, uint32_t v) {
  uint8_t *p = prop_space(w, name, 4);

  if (p)
    put32(p, v);
}

// A <u64>: two cells, the high one first (2.2.4).
void fdt_write_prop_u64(struct fdt_writer *w, const char *name, uint64_t v) {
  uint8_t *p = prop_space(w, name, 8);

  if (p)
    put64(p, v);
}

// A <prop-encoded-array> of n cells, each stored big-endian: what "reg",
// "interrupts-extended" and "distance-matrix" are made of.
void fdt_write_prop_cells(struct fdt_writer *w, const char *name,
                     const uint32_t *cells, int n) {
  uint8_t *p;
  int i;

  if (n < 0 || (cells == NULL && n > 0)) {
    fail(w, FDT_ERR_BADVALUE);
    return;
  }
  if ((p = prop_space(w, name, 4 * (size_t)n)) == NULL)
    return;
  for (i = 0; i < n; i++)
    put32(p + 4 * i, cells[i]);
}

// A <string>: its bytes and the NUL.
void fdt_write_prop_string(struct fdt_writer *w, const char *name, const char *s) {
  size_t n = strlen(s) + 1;
  uint8_t *p = prop_space(w, name, n);

  if (p)
    memcpy(p, s, n);
}

// A <stringlist>: n strings back to back, each with its NUL, as in
// compatible = "riscv-virtio", "simple-bus" ("riscv-virtio\0simple-bus\0").
void fdt_write_prop_strings(struct fdt_writer *w, const char *name,
                       const char *const *list, int n) {
  size_t total = 0, len;
  uint8_t *p;
  int i;

  if (n < 0 || (list == NULL && n > 0)) {
    fail(w, FDT_ERR_BADVALUE);
    return;
  }
  for (i = 0; i < n; i++)
    total += strlen(list[i]) + 1;
  if ((p = prop_space(w, name, total)) == NULL)
    return;
  for (i = 0; i < n; i++) {
    len = strlen(list[i]) + 1;
    memcpy(p, list[i], len);
    p += len;
  }
}

// End the structure block with FDT_END, put the strings block right
// after it, and write the header (5.2). Returns the blob's size or the
// first error. The writer is spent afterwards: it records
// FDT_ERR_BADSTRUCT so that any further call does nothing.
int fdt_write_finish(struct fdt_writer *w) {
  uint8_t *h = w->buf;
  uint32_t total;

  if (w->err == 0 && (w->depth != 0 || !w->root_done))
    fail(w, FDT_ERR_BADSTRUCT);     // no root, or nodes left open
  token(w, FDT_END);
  if (w->err)
    return w->err;

  fix_names(w);
  // The strings block needs no alignment (5.5); it may overlap its old
  // place when the buffer is nearly full, hence memmove.
  memmove(h + w->end, h + w->size - w->strings_size, w->strings_size);
  total = w->end + w->strings_size;

  put32(h + 0, FDT_MAGIC);
  put32(h + 4, total);                          // totalsize
  put32(h + 8, w->struct_off);                  // off_dt_struct
  put32(h + 12, w->end);                        // off_dt_strings
  put32(h + 16, FDT_HEADER_SIZE);               // off_mem_rsvmap
  put32(h + 20, FDT_VERSION);
  put32(h + 24, FDT_LAST_COMP);
  put32(h + 28, 0);                             // boot_cpuid_phys
  put32(h + 32, w->strings_size);               // size_dt_strings
  put32(h + 36, w->end - w->struct_off);        // size_dt_struct

  w->err = FDT_ERR_BADSTRUCT;
  return (int)total;
}
