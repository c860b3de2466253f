// kernel/fdt.c: read a flattened device tree (DTB) without trusting it.
//
// A DTB is one contiguous blob made of a header and three blocks
// (Devicetree Specification v0.4, chapter 5). All numbers in it are
// big-endian; offsets in the header count from the start of the blob.
// The blocks usually sit in this order, but only the offsets count:
//
//   blob + 0   +---------------------------+  header (5.2), ten u32s:
//              | magic      0xd00dfeed     |   0
//              | totalsize                 |   4   bytes in the whole blob
//              | off_dt_struct             |   8   -> structure block
//              | off_dt_strings            |  12   -> strings block
//              | off_mem_rsvmap            |  16   -> reservation block
//              | version                   |  20   17 today
//              | last_comp_version         |  24   16
//              | boot_cpuid_phys           |  28
//              | size_dt_strings           |  32
//              | size_dt_struct            |  36   (only since version 17)
//   blob + 40  +---------------------------+
//              | reservation block (5.3)   |  {u64 address, u64 size} pairs,
//              |                           |  ended by a {0, 0} pair
//              +---------------------------+
//              | structure block (5.4)     |  the tree, as a token stream
//              +---------------------------+
//              | strings block (5.5)       |  property names, NUL-terminated,
//              |                           |  shared by all properties
//   totalsize  +---------------------------+
//
// The structure block is a stream of 32-bit tokens, each on a 4-byte
// boundary (5.4.1), padded with zeros after strings and property values:
//
//   FDT_BEGIN_NODE (1)  name "cpu@0\0", padded to 4    start a node
//   FDT_PROP       (3)  u32 len, u32 nameoff, len bytes of value, padded
//                       (nameoff is an offset into the strings block)
//   FDT_NOP        (4)  nothing: a tool overwrote something here
//   FDT_END_NODE   (2)  end the node opened last
//   FDT_END        (9)  end of the structure block
//
// so the tree "/ { #size-cells; cpus { cpu@0 { reg; }; }; }" reads
//
//   BEGIN "" PROP BEGIN "cpus" BEGIN "cpu@0" PROP END_NODE END_NODE END_NODE END
//
// A node's properties come before its children (5.4.2), and a node is
// named, as in libfdt, by the offset of its FDT_BEGIN_NODE token from the
// start of the structure block.
//
// The blob may come from a guest or from a buggy firmware, so nothing in
// it is believed: fdt_init() checks the header and walks the whole token
// stream once; and every function below still checks each offset it
// follows against the sizes saved in struct fdt, so even a blob that
// changes after fdt_init() (a guest writing its own memory) can only make
// it return an error, never read outside the blob or loop forever.

#include "kernel/types.h"
#include "kernel/fdt.h"
#include "kernel/string.h"

// Header constants (spec 5.2) and tokens (spec 5.4.1).
#define FDT_MAGIC        0xd00dfeedU
#define FDT_HEADER_SIZE  40          // ten u32 fields
#define FDT_BEGIN_NODE   1
#define FDT_END_NODE     2
#define FDT_PROP         3
#define FDT_NOP          4
#define FDT_END          9

// Limits of our own, not the spec's. A blob over 1 GiB is surely corrupt,
// and the cap keeps every offset (even rounded up by 3) inside an int.
// Real trees nest 4 or 5 deep; 32 bounds fdt_parent()'s stack of ancestors.
#define FDT_MAX_SIZE     (1U << 30)
#define FDT_MAX_DEPTH    32

// Read a big-endian number at p, a byte at a time: p need not be aligned.
static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p) {
  return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

// Round an offset up to the next token boundary (spec 5.6).
static uint32_t align4(uint32_t off) {
  return (off + 3) & ~3U;
}

// Where the structure block starts in memory.
static const uint8_t *structp(const struct fdt *fdt) {
  return fdt->blob + fdt->struct_off;
}

// Decode the token at offset `off` of the structure block. Returns the
// token (FDT_BEGIN_NODE...FDT_END) and sets *next to the offset of the
// token after it; or returns an FDT_ERR_* code. Checks that the token,
// a node's name with its NUL, and a property's header and value all lie
// inside the structure block. *next > off always, so loops advance.
static int next_token(const struct fdt *fdt, int off, int *next) {
  const uint8_t *p;
  uint32_t tok, room, len, n;

  if (off < 0 || (off & 3) != 0)
    return FDT_ERR_BADSTRUCT;       // tokens sit on 4-byte boundaries
  if ((uint32_t)off > fdt->struct_size || fdt->struct_size - off < 4)
    return FDT_ERR_TRUNCATED;       // ran off the end without FDT_END
  p = structp(fdt) + off;
  room = fdt->struct_size - off - 4;  // bytes left after the token word
  tok = be32(p);

  switch (tok) {
  case FDT_BEGIN_NODE:
    // The name follows, and its NUL must be inside the block.
    n = strnlen((const char *)p + 4, room);
    if (n == room)
      return FDT_ERR_TRUNCATED;
    *next = (int)align4(off + 4 + n + 1);
    break;
  case FDT_PROP:
    // struct { u32 len; u32 nameoff; u8 value[len]; } follows (5.4.1).
    if (room < 8)
      return FDT_ERR_TRUNCATED;
    len = be32(p + 4);
    if (len > room - 8)
      return FDT_ERR_TRUNCATED;
    *next = (int)align4(off + 12 + len);
    break;
  case FDT_END_NODE:
  case FDT_NOP:
  case FDT_END:
    *next = off + 4;
    break;
  default:
    return FDT_ERR_BADSTRUCT;
  }
  return (int)tok;
}

// Find the name of a property from its nameoff: it must start inside the
// strings block and end with a NUL inside it too (5.5). 0 or an error.
static int prop_name(const struct fdt *fdt, uint32_t nameoff, const char **name) {
  const char *s;
  uint32_t room;

  if (nameoff >= fdt->strings_size)
    return FDT_ERR_BADSTRUCT;
  s = (const char *)fdt->blob + fdt->strings_off + nameoff;
  room = fdt->strings_size - nameoff;
  if (strnlen(s, room) == room)
    return FDT_ERR_TRUNCATED;
  *name = s;
  return 0;
}

// Check that `node` is the offset of an FDT_BEGIN_NODE token, and set
// *first to the offset of the token after its name. 0 or an error.
static int check_node(const struct fdt *fdt, int node, int *first) {
  int tok = next_token(fdt, node, first);

  if (tok < 0)
    return tok;
  return tok == FDT_BEGIN_NODE ? 0 : FDT_ERR_BADSTRUCT;
}

// Walk the whole structure block once and check the rules of 5.4.2:
// NOPs aside, it is one root node, nested BEGIN/END pairs that balance,
// properties only inside a node and before its children, valid property
// names, and then FDT_END. 0 or an error.
static int check_struct(const struct fdt *fdt) {
  int off = 0, next, tok, depth = 0, err;
  bool seen_root = false, after_child = false;
  const char *name;

  for (;;) {
    tok = next_token(fdt, off, &next);
    if (tok < 0)
      return tok;
    switch (tok) {
    case FDT_BEGIN_NODE:
      if (depth == 0 && seen_root)
        return FDT_ERR_BADSTRUCT;   // a second root
      if (++depth > FDT_MAX_DEPTH)
        return FDT_ERR_BADSTRUCT;
      seen_root = true;
      after_child = false;
      break;
    case FDT_END_NODE:
      if (depth == 0)
        return FDT_ERR_BADSTRUCT;   // closes a node never opened
      depth--;
      after_child = true;           // what follows is in the parent
      break;
    case FDT_PROP:
      if (depth == 0 || after_child)
        return FDT_ERR_BADSTRUCT;   // outside any node, or after a child
      err = prop_name(fdt, be32(structp(fdt) + off + 8), &name);
      if (err < 0)
        return err;
      break;
    case FDT_END:
      // Only after the root has been opened and closed again.
      return (seen_root && depth == 0) ? 0 : FDT_ERR_BADSTRUCT;
    }
    off = next;
  }
}

// Check the reservation block (5.3.2): 16-byte entries, all inside the
// blob, up to and including the {0, 0} entry that ends it.
static int check_rsvmap(const struct fdt *fdt) {
  uint32_t off = fdt->rsvmap_off;

  for (;;) {
    if (fdt->size - off < 16)
      return FDT_ERR_TRUNCATED;
    if (be64(fdt->blob + off) == 0 && be64(fdt->blob + off + 8) == 0)
      return 0;
    off += 16;                      // < size, so no overflow
  }
}

// Check that [off, off+size) lies in the blob after the header.
static int check_block(uint32_t off, uint32_t size, uint32_t total) {
  if (off < FDT_HEADER_SIZE)
    return FDT_ERR_BADSTRUCT;       // overlaps the header
  if (off > total || size > total - off)
    return FDT_ERR_TRUNCATED;
  return 0;
}

// Check the header of the blob and its three blocks, then walk the
// structure block once (check_struct), and fill in *fdt. 0 or an error;
// on error *fdt must not be used.
int fdt_init(struct fdt *fdt, const void *blob, size_t limit) {
  const uint8_t *h = blob;
  uint32_t version, last_comp;
  int err;

  memset(fdt, 0, sizeof(*fdt));
  if (h == NULL)
    return FDT_ERR_BADMAGIC;
  if (limit < 4)
    return FDT_ERR_TRUNCATED;
  if (be32(h + 0) != FDT_MAGIC)
    return FDT_ERR_BADMAGIC;
  if (limit < FDT_HEADER_SIZE)
    return FDT_ERR_TRUNCATED;

  // 5.1: a reader for version 17 can read any blob whose
  // last_comp_version is <= 17. Versions before 16 are a different
  // format (names were full paths), so we refuse them.
  version = be32(h + 20);
  last_comp = be32(h + 24);
  if (version < 16 || last_comp > 17)
    return FDT_ERR_BADVERSION;

  fdt->blob = h;
  fdt->size = be32(h + 4);
  if (fdt->size > limit)
    return FDT_ERR_TRUNCATED;       // header claims more than we may read
  if (fdt->size < FDT_HEADER_SIZE || fdt->size > FDT_MAX_SIZE)
    return FDT_ERR_BADSTRUCT;

  fdt->struct_off = be32(h + 8);
  fdt->strings_off = be32(h + 12);
  fdt->rsvmap_off = be32(h + 16);
  fdt->strings_size = be32(h + 32);
  // Version 16 has no size_dt_struct; FDT_END still ends the stream,
  // so let the structure block run to the end of the blob.
  if (version >= 17)
    fdt->struct_size = be32(h + 36);
  else if (fdt->struct_off <= fdt->size)
    fdt->struct_size = fdt->size - fdt->struct_off;

  // 5.6: the structure block is 4-aligned, the reservation block
  // 8-aligned. Tokens are read at struct_off + 4k, so the first matters
  // for finding them; we read bytewise, so the second is only the spec.
  if ((fdt->struct_off & 3) != 0 || (fdt->rsvmap_off & 7) != 0)
    return FDT_ERR_BADSTRUCT;
  if ((err = check_block(fdt->struct_off, fdt->struct_size, fdt->size)) < 0)
    return err;
  if ((err = check_block(fdt->strings_off, fdt->strings_size, fdt->size)) < 0)
    return err;
  if ((err = check_block(fdt->rsvmap_off, 0, fdt->size)) < 0)
    return err;
  if ((err = check_rsvmap(fdt)) < 0)
    return err;
  return check_struct(fdt);
}

// The offset of the root node, the first token that is not a NOP
// (5.4.2); in practice always 0.
int fdt_root(const struct fdt *fdt) {
  int off = 0, next, tok;

  while ((tok = next_token(fdt, off, &next)) == FDT_NOP)
    off = next;
  if (tok < 0)
    return tok;
  return tok == FDT_BEGIN_NODE ? off : FDT_ERR_BADSTRUCT;
}

// The next FDT_BEGIN_NODE after `node`, in stream order, which is
// depth-first order. *depth (if not NULL) goes down one for each
// FDT_END_NODE passed and up one for the node found.
int fdt_next_node(const struct fdt *fdt, int node, int *depth) {
  int off, next, tok, d = 0;

  if ((tok = check_node(fdt, node, &off)) < 0)
    return tok;
  // Skip properties and NOPs; count END_NODEs until the next BEGIN_NODE.
  for (;;) {
    tok = next_token(fdt, off, &next);
    if (tok < 0)
      return tok;
    if (tok == FDT_BEGIN_NODE) {
      if (depth)
        *depth += d + 1;
      return off;
    }
    if (tok == FDT_END_NODE)
      d--;
    if (tok == FDT_END)
      return FDT_ERR_NOTFOUND;
    off = next;
  }
}

// The first child of `node`, or FDT_ERR_NOTFOUND if it has none.
int fdt_first_child(const struct fdt *fdt, int node) {
  int depth = 0;
  int next = fdt_next_node(fdt, node, &depth);

  if (next < 0)
    return next;
  // The next node is a child only if we went down into it.
  return depth == 1 ? next : FDT_ERR_NOTFOUND;
}

// The next node with the same parent as `node`, or FDT_ERR_NOTFOUND.
int fdt_next_sibling(const struct fdt *fdt, int node) {
  int depth = 0;

  // Skip node's descendants (depth > 0); stop back at depth 0, or
  // give up when the walk climbs out of node's parent.
  for (;;) {
    node = fdt_next_node(fdt, node, &depth);
    if (node < 0)
      return node;
    if (depth == 0)
      return node;
    if (depth < 0)
      return FDT_ERR_NOTFOUND;
  }
}

// The name stored after the node's FDT_BEGIN_NODE token, or NULL.
const char *fdt_node_name(const struct fdt *fdt, int node) {
  int first;

  // check_node() has seen the NUL inside the structure block.
  if (check_node(fdt, node, &first) < 0)
    return NULL;
  return (const char *)structp(fdt) + node + 4;
}

// The parent of `node`. The stream has no back links, so walk from the
// root and remember the open node at each depth.
int fdt_parent(const struct fdt *fdt, int node) {
  int stack[FDT_MAX_DEPTH];   // stack[d] = the open node at depth d
  int depth = 0, cur, first;

  if ((cur = check_node(fdt, node, &first)) < 0)
    return cur;
  if ((cur = fdt_root(fdt)) < 0)
    return cur;
  if (cur == node)
    return FDT_ERR_NOTFOUND;  // the root has no parent
  stack[0] = cur;
  // Nodes come in increasing offset order, so stop once past `node`:
  // it may be a BEGIN_NODE-looking word inside a property value.
  while (cur < node) {
    cur = fdt_next_node(fdt, cur, &depth);
    if (cur < 0)
      return cur;
    if (depth <= 0)
      return FDT_ERR_NOTFOUND;  // left the root's subtree
    if (depth >= FDT_MAX_DEPTH)
      return FDT_ERR_BADSTRUCT;
    stack[depth] = cur;
    if (cur == node)
      return stack[depth - 1];
  }
  return FDT_ERR_NOTFOUND;
}

// Find property `name` of `node`: 0 with *val and *len set, or an error.
int fdt_getprop(const struct fdt *fdt, int node, const char *name,
            const void **val, int *len) {
  int off, next, tok, err;
  const uint8_t *p;
  const char *pname;

  if ((err = check_node(fdt, node, &off)) < 0)
    return err;
  // Properties follow the node's name, before any child (5.4.2).
  for (;; off = next) {
    tok = next_token(fdt, off, &next);
    if (tok < 0)
      return tok;
    if (tok == FDT_NOP)
      continue;
    if (tok != FDT_PROP)
      return tok == FDT_END ? FDT_ERR_BADSTRUCT : FDT_ERR_NOTFOUND;
    p = structp(fdt) + off;
    if ((err = prop_name(fdt, be32(p + 8), &pname)) < 0)
      return err;
    if (strcmp(pname, name) == 0) {
      // next_token() checked that len bytes fit in the block.
      *val = p + 12;
      *len = (int)be32(p + 4);
      return 0;
    }
  }
}

// Read a one-cell property: 0 or an error (FDT_ERR_BADVALUE if the
// length is not 4).
int fdt_getprop_u32(const struct fdt *fdt, int node, const char *name,
                uint32_t *out) {
  const void *val;
  int len, err;

  if ((err = fdt_getprop(fdt, node, name, &val, &len)) < 0)
    return err;
  if (len != 4)
    return FDT_ERR_BADVALUE;
  *out = be32(val);
  return 0;
}

// Does node name `name` match path component comp[0..n)? Exactly, or,
// when comp has no "@unit", as the part of name before its "@" (2.2.3).
static bool name_matches(const char *name, const char *comp, size_t n) {
  size_t i;

  if (strncmp(name, comp, n) != 0)
    return false;
  if (name[n] == '\0')
    return true;            // same length, same bytes
  if (name[n] != '@')
    return false;           // "cpus" is not a "cpu", nor "cpu@10" a "cpu@1"
  for (i = 0; i < n; i++)
    if (comp[i] == '@')
      return false;         // comp has a unit address: only exact will do
  return true;
}

// The node at absolute path `path` (2.2.3), one component at a time
// down from the root; aliases are not supported.
int fdt_path(const struct fdt *fdt, const char *path) {
  int node, child;
  size_t n;

  if (path[0] != '/')
    return FDT_ERR_NOTFOUND;        // aliases are not supported
  if ((node = fdt_root(fdt)) < 0)
    return node;
  for (;;) {
    while (*path == '/')
      path++;                       // "//" and a trailing "/" name nothing
    if (*path == '\0')
      return node;
    // The component is path[0..n); find the first child it matches.
    for (n = 0; path[n] != '\0' && path[n] != '/'; n++)
      ;
    child = fdt_first_child(fdt, node);
    while (child >= 0 && !name_matches(fdt_node_name(fdt, child), path, n))
      child = fdt_next_sibling(fdt, child);
    if (child < 0)
      return child;
    node = child;
    path += n;
  }
}

// The first node after `from` (or the root and after, for from < 0)
// whose "compatible" list holds `compat`, or FDT_ERR_NOTFOUND.
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat) {
  int node;

  // From the start means the root is a candidate too.
  if (from < 0)
    node = fdt_root(fdt);
  else
    node = fdt_next_node(fdt, from, NULL);
  while (node >= 0) {
    if (fdt_prop_has_string(fdt, node, "compatible", compat))
      return node;
    node = fdt_next_node(fdt, node, NULL);
  }
  return node;
}

// Does string-list property `name` of `node` hold `str`? False also
// when the property is missing or broken.
bool fdt_prop_has_string(const struct fdt *fdt, int node, const char *name,
                    const char *str) {
  const void *val;
  const char *s;
  int len;
  size_t room, n;

  if (fdt_getprop(fdt, node, name, &val, &len) < 0)
    return false;
  // A string list is NUL-terminated strings back to back (2.2.4.2,
  // <stringlist>). Look only at strings that end inside the value.
  s = val;
  room = (size_t)len;
  while (room > 0) {
    n = strnlen(s, room);
    if (n == room)
      return false;                 // last string has no NUL
    if (strcmp(s, str) == 0)
      return true;
    s += n + 1;
    room -= n + 1;
  }
  return false;
}

// Read a #address-cells or #size-cells property of `node`, or `def` when
// it has none. 0 or an error.
static int cells(const struct fdt *fdt, int node, const char *name, uint32_t def,
      uint32_t *out) {
  int err = fdt_getprop_u32(fdt, node, name, out);

  if (err == FDT_ERR_NOTFOUND) {
    *out = def;
    return 0;
  }
  return err;
}

// Read a number of `n` cells (1 or 2, or 0 for none) at p.
static uint64_t read_cells(const uint8_t *p, uint32_t n) {
  if (n == 0)
    return 0;
  return n == 1 ? be32(p) : be64(p);
}

// Entry `index` of the node's "reg": 0 with *addr and *size set,
// FDT_ERR_NOTFOUND past the last entry, or an error.
int fdt_reg(const struct fdt *fdt, int node, int index,
        uint64_t *addr, uint64_t *size) {
  const void *val;
  const uint8_t *p;
  uint32_t ac, sc;
  size_t entry;
  int parent, len, err;

  // 2.3.5: the parent says how many cells the child's reg uses.
  if ((parent = fdt_parent(fdt, node)) < 0)
    return parent;
  if ((err = cells(fdt, parent, "#address-cells", 2, &ac)) < 0)
    return err;
  if ((err = cells(fdt, parent, "#size-cells", 1, &sc)) < 0)
    return err;
  // We return 64-bit numbers, so at most two cells each; a reg with no
  // address cells would name nothing.
  if (ac < 1 || ac > 2 || sc > 2)
    return FDT_ERR_BADVALUE;

  // 2.3.6: reg is a list of (address, size) pairs, nothing left over.
  if ((err = fdt_getprop(fdt, node, "reg", &val, &len)) < 0)
    return err;
  entry = 4 * (ac + sc);
  if ((size_t)len % entry != 0)
    return FDT_ERR_BADVALUE;
  if (index < 0 || (size_t)index >= (size_t)len / entry)
    return FDT_ERR_NOTFOUND;
  p = (const uint8_t *)val + (size_t)index * entry;
  *addr = read_cells(p, ac);
  *size = read_cells(p + 4 * ac, sc);
  return 0;
}

// The node's "numa-node-id", or -1 if it has none (or a broken one).
int fdt_numa_node(const struct fdt *fdt, int node) {
  uint32_t id;

  // Linux numa.txt, section 2: "numa-node-id" is one u32 cell.
  if (fdt_getprop_u32(fdt, node, "numa-node-id", &id) < 0)
    return -1;
  return id > 0x7fffffffU ? -1 : (int)id;
}

// Copy the NUMA distance matrix into dist[from * maxnodes + to].
// 0, FDT_ERR_NOTFOUND (no map), or an error with dist untouched.
int fdt_distance_map(const struct fdt *fdt, uint32_t *dist, int maxnodes) {
  const void *val;
  const uint8_t *p;
  uint32_t from, to, d;
  int node, len, i, err;

  if (maxnodes <= 0)
    return FDT_ERR_NOSPACE;
  // Linux numa.txt, section 3: the node is /distance-map, compatible
  // "numa-distance-map-v1"; find it by either.
  node = fdt_path(fdt, "/distance-map");
  if (node == FDT_ERR_NOTFOUND)
    node = fdt_find_compatible(fdt, -1, "numa-distance-map-v1");
  if (node < 0)
    return node;
  // The matrix is required in such a node: its absence is a bad value.
  err = fdt_getprop(fdt, node, "distance-matrix", &val, &len);
  if (err == FDT_ERR_NOTFOUND)
    return FDT_ERR_BADVALUE;
  if (err < 0)
    return err;
  // A list of <from to distance> triplets of u32 cells.
  if (len % 12 != 0)
    return FDT_ERR_BADVALUE;

  // Check every triplet before writing any, so a bad blob leaves the
  // caller's defaults whole. The binding: a node is 10 from itself, and
  // farther than that from any other node.
  for (i = 0; i < len; i += 12) {
    p = (const uint8_t *)val + i;
    from = be32(p);
    to = be32(p + 4);
    d = be32(p + 8);
    if (from >= (uint32_t)maxnodes || to >= (uint32_t)maxnodes)
      return FDT_ERR_BADVALUE;
    if ((from == to && d != 10) || (from != to && d <= 10))
      return FDT_ERR_BADVALUE;
  }
  for (i = 0; i < len; i += 12) {
    p = (const uint8_t *)val + i;
    from = be32(p);
    to = be32(p + 4);
    dist[(size_t)from * maxnodes + to] = be32(p + 8);
  }
  return 0;
}

// Entry `index` of the reservation block: 0 with *addr and *size set,
// FDT_ERR_NOTFOUND at the {0, 0} end, or an error.
int fdt_memreserve(const struct fdt *fdt, int index,
               uint64_t *addr, uint64_t *size) {
  uint32_t off = fdt->rsvmap_off;
  int i;

  if (index < 0)
    return FDT_ERR_NOTFOUND;
  // Step over `index` entries; each one, and the {0, 0} that ends the
  // block (5.3.2), must lie inside the blob.
  for (i = 0;; i++) {
    if (off > fdt->size || fdt->size - off < 16)
      return FDT_ERR_TRUNCATED;
    *addr = be64(fdt->blob + off);
    *size = be64(fdt->blob + off + 8);
    if (*addr == 0 && *size == 0)
      return FDT_ERR_NOTFOUND;
    if (i == index)
      return 0;
    off += 16;
  }
}

// Describe an FDT_ERR_* code in a few words.
const char *fdt_strerror(int err) {
  switch (err) {
  case 0:                  return "no error";
  case FDT_ERR_NOTFOUND:   return "not found";
  case FDT_ERR_BADMAGIC:   return "bad magic (want 0xd00dfeed)";
  case FDT_ERR_BADVERSION: return "unsupported version (want 16 or 17)";
  case FDT_ERR_TRUNCATED:  return "runs past the end of the blob";
  case FDT_ERR_BADSTRUCT:  return "bad structure block";
  case FDT_ERR_BADVALUE:   return "bad property value";
  case FDT_ERR_NOSPACE:    return "table too small";
  default:                 return "unknown error";
  }
}

int fdt_getprop_string(const struct fdt *fdt, int node, const char *name,
                   char *buf, size_t size) {
  const void *val;
  int len, err;

  if (size == 0)
    return FDT_ERR_NOSPACE;
  buf[0] = 0;
  err = fdt_getprop(fdt, node, name, &val, &len);
  if (err < 0)
    return err;
  // The value need not end in a NUL inside the blob: stop at len.
  size_t n = strnlen(val, (size_t)len);
  if (n >= size)
    n = size - 1;
  memcpy(buf, val, n);
  buf[n] = 0;
  return 0;
}
