// tests/fuzz/fuzz_fdt.c: fuzz the device-tree reader, kernel/fdt.c.
//
// What it proves: the monitor reads two device trees it cannot trust
// (the machine's, and the VM configuration in the bundle), and kernel/
// fdt.h promises that a broken blob gives an error code, never a read
// outside the blob. Here the blob is any bytes at all. fdt_init either
// refuses them or accepts them; if it accepts, every node is walked and
// every function of kernel/fdt.h is called on it, with every property
// name the strings block holds, and
//   - nothing reads outside the blob (ASan: the input buffer is exactly
//     its size) and every value returned lies inside it;
//   - the answers agree: the depth-first walk, fdt_parent,
//     fdt_first_child and fdt_next_sibling describe the same tree;
//     a node fdt_path finds has the name the path asked for; a string
//     property's copy is a prefix of its value; a distance map that is
//     accepted has 10 on its diagonal and more elsewhere.
#include <string.h>

#include "kernel/fdt.h"
#include "tests/fuzz/fuzz.h"

// Enough to cover any tree that matters and keep each run fast: the
// cross product of nodes and names is the slow part.
#define MAX_NODES   512
#define MAX_NAMES   40
#define CROSS_NODES 48

struct node {
  int off;
  int depth;        // the root is 0
  int parent;       // its offset, -1 for the root
};

static struct node nodes[MAX_NODES];
static int nnodes;

// Walk the tree depth-first with fdt_next_node, keeping the open
// ancestors on a stack, into nodes[]. The walk must stay inside the
// root and move forward.
static void walk(const struct fdt *fdt) {
  int stack[64];
  int off = fdt_root(fdt), depth = 0;
  FUZZ_CHECK(off >= 0, "fdt_init accepted the blob but fdt_root gives %d", off);
  nnodes = 0;
  while (off >= 0 && nnodes < MAX_NODES) {
    FUZZ_CHECK(depth >= 0 && depth < 64, "walk at depth %d", depth);
    stack[depth] = off;
    nodes[nnodes++] = (struct node){off, depth, depth > 0 ? stack[depth - 1] : -1};
    int d = depth;
    int next = fdt_next_node(fdt, off, &d);
    if (next < 0) {
      FUZZ_CHECK(next == FDT_ERR_NOTFOUND, "walk ended with %d", next);
      break;
    }
    FUZZ_CHECK(next > off, "fdt_next_node went back: %d after %d", next, off);
    FUZZ_CHECK(d >= 1 && d <= depth + 1, "depth %d after %d", d, depth);
    off = next, depth = d;
  }
}

// Each node's parent, first child and next sibling, as the walk saw them.
static void check_links(const struct fdt *fdt) {
  for (int i = 0; i < nnodes; i++) {
    const struct node *n = &nodes[i];
    const char *name = fdt_node_name(fdt, n->off);
    FUZZ_CHECK(name != NULL, "node %d has no name", n->off);
    int p = fdt_parent(fdt, n->off);
    FUZZ_CHECK(p == (n->parent < 0 ? FDT_ERR_NOTFOUND : n->parent),
               "fdt_parent(%d) = %d, the walk says %d", n->off, p, n->parent);
    if (i + 1 == nnodes && nnodes == MAX_NODES)
      break;                      // the walk stopped early: no more to compare
    int want = i + 1 < nnodes && nodes[i + 1].depth == n->depth + 1
                   ? nodes[i + 1].off : FDT_ERR_NOTFOUND;
    int child = fdt_first_child(fdt, n->off);
    FUZZ_CHECK(child == want, "fdt_first_child(%d) = %d, want %d", n->off, child, want);
    want = FDT_ERR_NOTFOUND;
    int j;
    for (j = i + 1; j < nnodes && nodes[j].depth > n->depth; j++)
      ;
    if (j < nnodes && nodes[j].depth == n->depth)
      want = nodes[j].off;
    if (j == nnodes && nnodes == MAX_NODES)
      continue;                   // its sibling may be past what we walked
    int sib = fdt_next_sibling(fdt, n->off);
    FUZZ_CHECK(sib == want, "fdt_next_sibling(%d) = %d, want %d", n->off, sib, want);
  }
}

// The node's path from the root, or false if it does not fit.
static bool path_of(const struct fdt *fdt, int i, char *buf, size_t size) {
  int chain[64], n = 0;
  for (int k = i; k >= 0 && nodes[k].parent >= 0 && n < 64; n++) {
    chain[n] = k;
    int parent = nodes[k].parent;
    while (k >= 0 && nodes[k].off != parent)
      k--;
  }
  size_t len = 0;
  buf[0] = 0;
  for (int k = n - 1; k >= 0; k--) {
    const char *name = fdt_node_name(fdt, nodes[chain[k]].off);
    size_t m = strlen(name);
    if (len + 1 + m + 1 > size)
      return false;
    buf[len++] = '/';
    memcpy(buf + len, name, m + 1);
    len += m;
  }
  if (n == 0)
    memcpy(buf, "/", 2);
  return true;
}

// fdt_path on each node's own path: "/" finds the root; any other path,
// if it finds a node, finds one named as the path ends (or that name plus
// "@unit"). It may find another node of the same name, or none, when
// names repeat, are empty or hold a '/': the blob is anybody's.
static void check_paths(const struct fdt *fdt) {
  char path[512];
  for (int i = 0; i < nnodes && i < CROSS_NODES; i++) {
    if (!path_of(fdt, i, path, sizeof(path)))
      continue;
    int found = fdt_path(fdt, path);
    if (found < 0)
      continue;
    int k;
    for (k = 0; k < nnodes && nodes[k].off != found; k++)
      ;
    if (k == nnodes)
      continue;                   // beyond the part we walked
    if (strcmp(path, "/") == 0) {
      FUZZ_CHECK(found == nodes[0].off, "fdt_path(\"/\") = %d, the root is %d", found,
                 nodes[0].off);
      continue;                   // the root answers to "/" whatever its name
    }
    const char *last = strrchr(path, '/') + 1;
    if (*last == 0)
      continue;                   // a trailing "/" names nothing: its parent

    const char *name = fdt_node_name(fdt, found);
    size_t m = strlen(last);
    FUZZ_CHECK(strncmp(name, last, m) == 0 && (name[m] == 0 || name[m] == '@'),
               "fdt_path(\"%s\") found a node named \"%s\"", path, name);
  }
  static const char *const fixed[] = {"/", "//", "/cpus", "/cpus/cpu@0",
                                      "/soc/plic", "/memory", "/chosen", "/distance-map",
                                      "/a@", "/@", "", "x"};
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
    fdt_path(fdt, fixed[i]);
}

// Every property name the strings block holds (each string after a NUL;
// dtc also shares the tails of strings, so this misses none that a real
// tree uses by itself).
static int names(const struct fdt *fdt, const char **out, int max) {
  const char *s = (const char *)fdt->blob + fdt->strings_off;
  uint32_t size = fdt->strings_size;
  int n = 0;
  for (uint32_t off = 0; off < size && n < max;) {
    size_t len = strnlen(s + off, size - off);
    if (len == size - off)
      break;                      // no NUL: not a name
    out[n++] = s + off;
    off += (uint32_t)len + 1;
  }
  return n;
}

// Is [p, p + len) inside the blob?
static bool in_blob(const struct fdt *fdt, const void *p, int len) {
  const uint8_t *b = p;
  return len >= 0 && b >= fdt->blob && b <= fdt->blob + fdt->size &&
         (size_t)len <= (size_t)(fdt->blob + fdt->size - b);
}

// Every getter, on the first CROSS_NODES nodes, with every name.
static void check_props(const struct fdt *fdt) {
  const char *name[MAX_NAMES];
  int nn = names(fdt, name, MAX_NAMES - 3);
  name[nn++] = "no-such-property";
  name[nn++] = "reg";
  name[nn++] = "";
  for (int i = 0; i < nnodes && i < CROSS_NODES; i++) {
    int node = nodes[i].off;
    for (int k = 0; k < nn; k++) {
      const void *val;
      int len;
      if (fdt_getprop(fdt, node, name[k], &val, &len) == 0) {
        FUZZ_CHECK(in_blob(fdt, val, len), "property %s of %d (%d bytes) is outside the blob",
                   name[k], node, len);
        touch(val, (size_t)len);
      }
      uint32_t u;
      if (fdt_getprop_u32(fdt, node, name[k], &u) == 0)
        FUZZ_CHECK(fdt_getprop(fdt, node, name[k], &val, &len) == 0 && len == 4,
                   "fdt_getprop_u32 read a %d-byte %s", len, name[k]);
      char small[8], big[256];
      if (fdt_getprop_string(fdt, node, name[k], small, sizeof(small)) == 0) {
        fdt_getprop(fdt, node, name[k], &val, &len);
        size_t m = strlen(small);
        FUZZ_CHECK(m < sizeof(small) && m <= (size_t)len && memcmp(small, val, m) == 0,
                   "fdt_getprop_string copied %zu bytes of a %d-byte %s", m, len, name[k]);
      } else {
        FUZZ_CHECK(small[0] == 0, "fdt_getprop_string failed but left \"%s\"", small);
      }
      fdt_getprop_string(fdt, node, name[k], big, sizeof(big));
      fdt_prop_has_string(fdt, node, name[k], "disco-v,vm");
      fdt_prop_has_string(fdt, node, "compatible", name[k]);
    }
    uint64_t addr, size;
    for (int idx = -1; idx < 8; idx++)
      if (fdt_reg(fdt, node, idx, &addr, &size) < 0 && idx >= 0)
        break;
    int numa = fdt_numa_node(fdt, node);
    FUZZ_CHECK(numa >= -1, "fdt_numa_node gave %d", numa);
  }
}

// The walks that search the whole tree, and the reservation block.
static void check_whole(const struct fdt *fdt) {
  static const char *const compat[] = {"disco-v,vm", "numa-distance-map-v1",
                                       "riscv,plic0", "ns16550a", ""};
  for (size_t c = 0; c < sizeof(compat) / sizeof(compat[0]); c++) {
    int n = 0, prev = -1;
    for (int node = fdt_find_compatible(fdt, -1, compat[c]); node >= 0 && n < MAX_NODES;
         node = fdt_find_compatible(fdt, node, compat[c]), n++) {
      FUZZ_CHECK(node > prev, "fdt_find_compatible went back: %d after %d", node, prev);
      FUZZ_CHECK(fdt_prop_has_string(fdt, node, "compatible", compat[c]),
                 "fdt_find_compatible(%s) found %d, which is not", compat[c], node);
      prev = node;
    }
  }
  for (int maxnodes = 0; maxnodes <= 4; maxnodes++) {
    uint32_t dist[16];
    for (int i = 0; i < 16; i++)
      dist[i] = 0xdead;
    if (fdt_distance_map(fdt, dist, maxnodes) != 0)
      continue;
    for (int a = 0; a < maxnodes; a++)
      for (int b = 0; b < maxnodes; b++) {
        uint32_t d = dist[a * maxnodes + b];
        FUZZ_CHECK(d == 0xdead || (a == b ? d == 10 : d > 10),
                   "distance %d->%d is %u", a, b, d);
      }
  }
  uint64_t addr, size;
  for (int i = -1; i < 4096; i++)
    if (fdt_memreserve(fdt, i, &addr, &size) < 0 && i >= 0)
      break;
  for (int err = -8; err <= 0; err++)
    FUZZ_CHECK(fdt_strerror(err) != NULL, "no words for error %d", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fdt fdt;
  int err = fdt_init(&fdt, data, size);
  if (err < 0) {
    FUZZ_CHECK(err >= FDT_ERR_NOSPACE, "fdt_init gave %d, not an FDT_ERR_*", err);
    return 0;
  }
  FUZZ_CHECK(err == 0 && fdt.size <= size, "fdt_init gave %d, blob size %u of %zu",
             err, fdt.size, size);
  walk(&fdt);
  check_links(&fdt);
  check_paths(&fdt);
  check_props(&fdt);
  check_whole(&fdt);
  return 0;
}
