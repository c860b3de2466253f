// tests/unit/test_fdt.c: host tests for kernel/fdt.c, the DTB reader.
//
// Usage: test_fdt DIR, where DIR holds three blobs that QEMU itself wrote
// with -machine virt,dumpdtb=...:
//
//   virt-n1.dtb  -smp 2, one NUMA node of 256 MiB
//   virt-n2.dtb  -smp 4, two nodes of 256 MiB, harts 2k and 2k+1 on node k
//   virt-n4.dtb  -smp 8, four nodes of 256 MiB, same hart layout,
//                distance 40 between nodes 0 and 3, 20 elsewhere
//                (QEMU 7.2 aborts building a PLIC machine with more than
//                two sockets, so this one may be made with aia=aplic; see
//                fdt_reg_intc)
//
// The first half checks that we read what QEMU wrote. The second half
// feeds the reader broken blobs: truncated, with bad header fields, with
// every word of the structure block overwritten in turn, and small blobs
// built by hand. The build uses -fsanitize=address, and every broken blob
// sits in a malloc'd buffer of exactly its own size, so a read one byte
// past the end fails the test even when the answer would have been right.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fdt.h"
#include "tests/unit/unit.h"

#define MiB_ (1024ULL * 1024)

// A file read into memory. `data` is malloc'd with exactly `len` bytes.
struct file {
  const char *name;
  int nodes;                // NUMA nodes in this machine
  uint8_t *data;
  size_t len;
};

static struct file n1 = {"virt-n1.dtb", 1, NULL, 0};
static struct file n2 = {"virt-n2.dtb", 2, NULL, 0};
static struct file n4 = {"virt-n4.dtb", 4, NULL, 0};
static struct file *files[] = {&n1, &n2, &n4};

// ---- helpers ---------------------------------------------------------

static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}

static void set32(uint8_t *p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

// Read DIR/name into f. Exits the program if the file is missing: every
// case below needs the blobs.
static void load(const char *dir, struct file *f) {
  char path[4096];
  FILE *fp;
  long n;

  snprintf(path, sizeof(path), "%s/%s", dir, f->name);
  fp = fopen(path, "rb");
  if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0) {
    printf("FAIL test_fdt: cannot read %s\n", path);
    exit(1);
  }
  rewind(fp);
  f->len = (size_t)n;
  f->data = malloc(f->len);
  if (f->data == NULL || fread(f->data, 1, f->len, fp) != f->len) {
    printf("FAIL test_fdt: short read of %s\n", path);
    exit(1);
  }
  fclose(fp);
}

// A malloc'd copy of the first `n` bytes of f (QEMU pads its dump to
// 1 MiB; the copy ends where the blob does, so ASan sees overreads).
static uint8_t *copy_of(const struct file *f, size_t n) {
  uint8_t *p = malloc(n ? n : 1);

  memcpy(p, f->data, n);
  return p;
}

// totalsize from the header of f.
static uint32_t total(const struct file *f) {
  return get32(f->data + 4);
}

// Count the nodes, from the start, compatible with `compat`.
static int count_compatible(const struct fdt *fdt, const char *compat) {
  int n = 0, node = -1;

  while ((node = fdt_find_compatible(fdt, node, compat)) >= 0)
    n++;
  return n;
}

// Count the nodes of a subtree using first_child/next_sibling only.
static int count_subtree(const struct fdt *fdt, int node) {
  int n = 1, child;

  for (child = fdt_first_child(fdt, node); child >= 0;
       child = fdt_next_sibling(fdt, child))
    n += count_subtree(fdt, child);
  return n;
}

// ---- what QEMU wrote -------------------------------------------------

// Each real blob passes fdt_init() and the saved sizes match its header;
// the root is the first token and has the empty name (spec 5.4.2).
static void fdt_header_real(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct file *f = files[i];
    struct fdt fdt;

    CHECK_EQ(fdt_init(&fdt, f->data, f->len), 0);
    CHECK_EQ(fdt.size, total(f));
    CHECK(fdt.size <= f->len);
    CHECK_EQ(fdt.struct_off, get32(f->data + 8));
    CHECK_EQ(fdt.strings_off, get32(f->data + 12));
    CHECK_EQ(fdt.rsvmap_off, get32(f->data + 16));
    CHECK_EQ(fdt.strings_size, get32(f->data + 32));
    CHECK_EQ(fdt.struct_size, get32(f->data + 36));
    CHECK_EQ(fdt_root(&fdt), 0);
    CHECK_STR(fdt_node_name(&fdt, 0), "");
    // The monitor passes a loose upper bound instead of the exact size.
    CHECK_EQ(fdt_init(&fdt, f->data, fdt.size), 0);
  }
}

// Walking with fdt_next_node() ends, sees every node once (the same count
// as a first_child/next_sibling recursion), and reports depths that agree
// with the chain of fdt_parent() calls up to the root.
static void fdt_walk_depth(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct fdt fdt;
    int node, depth = 0, count = 1, maxdepth = 0, p, d;

    CHECK_EQ(fdt_init(&fdt, files[i]->data, files[i]->len), 0);
    node = fdt_root(&fdt);
    for (;;) {
      node = fdt_next_node(&fdt, node, &depth);
      if (node < 0)
        break;
      CHECK(count++ < 10000);
      CHECK(depth >= 1);
      if (depth > maxdepth)
        maxdepth = depth;
      // Climb to the root and count the steps.
      for (d = 0, p = node; p != 0; d++) {
        p = fdt_parent(&fdt, p);
        CHECK(p >= 0);
      }
      CHECK_EQ(d, depth);
    }
    CHECK_EQ(node, FDT_ERR_NOTFOUND);
    CHECK_EQ(count, count_subtree(&fdt, 0));
    // /cpus/cpu-map/clusterN/coreM is the deepest QEMU writes.
    CHECK_EQ(maxdepth, 4);
    CHECK(count > 30);
  }
}

// fdt_path() finds nodes by full path, with or without the unit
// address, and does not confuse "cpu" with "cpus" or "@1" with "@10".
static void fdt_path_lookup(void) {
  struct fdt fdt;
  int cpus, node;

  CHECK_EQ(fdt_init(&fdt, n2.data, n2.len), 0);
  CHECK_EQ(fdt_path(&fdt, "/"), 0);
  cpus = fdt_path(&fdt, "/cpus");
  CHECK(cpus > 0);
  CHECK_STR(fdt_node_name(&fdt, cpus), "cpus");
  CHECK_EQ(fdt_path(&fdt, "/cpus/"), cpus);
  CHECK_EQ(fdt_path(&fdt, "//cpus"), cpus);
  node = fdt_path(&fdt, "/cpus/cpu@2");
  CHECK(node > 0);
  CHECK_STR(fdt_node_name(&fdt, node), "cpu@2");
  // No unit address: the first cpu@N.
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/cpus/cpu")), "cpu@0");
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/soc/serial")),
            "serial@10000000");
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/soc/serial@10000000")),
            "serial@10000000");
  node = fdt_path(&fdt, "/cpus/cpu@1/interrupt-controller");
  CHECK(node > 0);
  CHECK_STR(fdt_node_name(&fdt, node), "interrupt-controller");
  CHECK(fdt_path(&fdt, "/cpus/cpu-map/cluster1/core1") > 0);
  CHECK_EQ(fdt_path(&fdt, "/soc/serial@1000000"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "/cpus/cpu@"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "/cpu"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "/cpus/cpu@20"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "/nosuch"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "cpus"), FDT_ERR_NOTFOUND);
}

// fdt_parent() goes one level up, refuses the root, and refuses an
// offset that is not a node even if the word there reads FDT_BEGIN_NODE.
static void fdt_parent_links(void) {
  struct fdt fdt;
  int cpus, cpu1, intc, reg;
  const void *val;
  int len;

  CHECK_EQ(fdt_init(&fdt, n2.data, n2.len), 0);
  cpus = fdt_path(&fdt, "/cpus");
  cpu1 = fdt_path(&fdt, "/cpus/cpu@1");
  intc = fdt_path(&fdt, "/cpus/cpu@1/interrupt-controller");
  CHECK(cpus > 0 && cpu1 > 0 && intc > 0);
  CHECK_EQ(fdt_parent(&fdt, 0), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_parent(&fdt, cpus), 0);
  CHECK_EQ(fdt_parent(&fdt, cpu1), cpus);
  CHECK_EQ(fdt_parent(&fdt, intc), cpu1);
  CHECK(fdt_parent(&fdt, 2) < 0);             // not aligned
  CHECK(fdt_parent(&fdt, -1) < 0);
  CHECK(fdt_parent(&fdt, 1 << 20) < 0);       // past the block
  // cpu@1's reg value is <1>: a word that looks like FDT_BEGIN_NODE.
  CHECK_EQ(fdt_getprop(&fdt, cpu1, "reg", &val, &len), 0);
  reg = (int)((const uint8_t *)val - (n2.data + fdt.struct_off));
  CHECK_EQ(get32(val), 1);
  CHECK_EQ(fdt_parent(&fdt, reg), FDT_ERR_NOTFOUND);
}

// The memory nodes say what QEMU was told: node k has 256 MiB at
// 0x80000000 + k * 256 MiB, with numa-node-id k; and there are no others.
static void fdt_reg_memory(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct file *f = files[i];
    struct fdt fdt;
    uint64_t addr, size, want;
    char path[64];
    int node, mems = 0;

    CHECK_EQ(fdt_init(&fdt, f->data, f->len), 0);
    for (int k = 0; k < f->nodes; k++) {
      want = 0x80000000ULL + k * 256 * MiB_;
      snprintf(path, sizeof(path), "/memory@%llx", (unsigned long long)want);
      node = fdt_path(&fdt, path);
      CHECK(node > 0);
      CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
      CHECK_EQ(addr, want);
      CHECK_EQ(size, 256 * MiB_);
      CHECK_EQ(fdt_reg(&fdt, node, 1, &addr, &size), FDT_ERR_NOTFOUND);
      CHECK_EQ(fdt_reg(&fdt, node, -1, &addr, &size), FDT_ERR_NOTFOUND);
      CHECK_EQ(fdt_numa_node(&fdt, node), k);
    }
    for (node = 0; node >= 0; node = fdt_next_node(&fdt, node, NULL))
      if (fdt_prop_has_string(&fdt, node, "device_type", "memory"))
        mems++;
    CHECK_EQ(mems, f->nodes);
    // The root has no reg and no parent.
    CHECK(fdt_reg(&fdt, 0, 0, &addr, &size) < 0);
  }
}

// Under /cpus (#address-cells 1, #size-cells 0) each cpu's reg is its
// hart id with no size; hart h is on NUMA node h/2; the timebase and the
// ISA string (with the H extension) are where the kernel will look.
static void fdt_reg_cpus(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct file *f = files[i];
    struct fdt fdt;
    uint64_t addr, size;
    uint32_t tb;
    const void *val;
    const char *isa;
    int cpus, cpu, len, harts = 0;

    CHECK_EQ(fdt_init(&fdt, f->data, f->len), 0);
    cpus = fdt_path(&fdt, "/cpus");
    CHECK(cpus > 0);
    CHECK_EQ(fdt_getprop_u32(&fdt, cpus, "timebase-frequency", &tb), 0);
    CHECK_EQ(tb, 10000000);
    for (cpu = fdt_first_child(&fdt, cpus); cpu >= 0;
         cpu = fdt_next_sibling(&fdt, cpu)) {
      if (!fdt_prop_has_string(&fdt, cpu, "device_type", "cpu"))
        continue;                 // cpu-map
      size = 99;
      CHECK_EQ(fdt_reg(&fdt, cpu, 0, &addr, &size), 0);
      CHECK_EQ(addr, harts);
      CHECK_EQ(size, 0);
      CHECK_EQ(fdt_numa_node(&fdt, cpu), harts / 2);
      CHECK_EQ(fdt_getprop(&fdt, cpu, "riscv,isa", &val, &len), 0);
      isa = val;
      CHECK(len > 5 && isa[len - 1] == '\0');
      CHECK(strncmp(isa, "rv64", 4) == 0);
      // Single-letter extensions come before the first "_".
      CHECK(memchr(isa, 'h', strcspn(isa, "_")) != NULL);
      harts++;
    }
    CHECK_EQ(harts, 2 * f->nodes);
    // A u32 read of a 4-cell property is a bad value, not a truncation.
    CHECK_EQ(fdt_getprop_u32(&fdt, fdt_path(&fdt, "/memory"), "reg", &tb),
             FDT_ERR_BADVALUE);
    CHECK_EQ(fdt_getprop_u32(&fdt, cpus, "nosuch", &tb), FDT_ERR_NOTFOUND);
  }
}

// One PLIC (riscv,plic0) and one CLINT per NUMA node, each tagged with
// its node: PLIC k at 0xc000000 + k * 6 MiB, CLINT k at 0x2000000 +
// k * 64 KiB. QEMU 7.2 cannot build a PLIC machine with more than two
// sockets (it aborts), so a blob made with aia=aplic is accepted instead:
// then each node has two APLICs (M and S level) and no PLIC.
static void fdt_reg_intc(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct file *f = files[i];
    struct fdt fdt;
    uint64_t addr, size;
    int node, k, plics = 0, clints = 0;

    CHECK_EQ(fdt_init(&fdt, f->data, f->len), 0);
    for (node = -1; (node = fdt_find_compatible(&fdt, node,
                                                "riscv,plic0")) >= 0;) {
      k = fdt_numa_node(&fdt, node);
      CHECK(k >= 0 && k < f->nodes);
      CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
      CHECK_EQ(addr, 0xc000000 + k * 0x600000ULL);
      CHECK_EQ(size, 0x600000);
      CHECK(fdt_prop_has_string(&fdt, node, "compatible",
                                "sifive,plic-1.0.0"));
      plics++;
    }
    if (plics == 0)
      CHECK_EQ(count_compatible(&fdt, "riscv,aplic"), 2 * f->nodes);
    else
      CHECK_EQ(plics, f->nodes);
    for (node = -1; (node = fdt_find_compatible(&fdt, node,
                                                "riscv,clint0")) >= 0;) {
      k = fdt_numa_node(&fdt, node);
      CHECK(k >= 0 && k < f->nodes);
      CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
      CHECK_EQ(addr, 0x2000000 + k * 0x10000ULL);
      CHECK_EQ(size, 0x10000);
      clints++;
    }
    CHECK_EQ(clints, f->nodes);
  }
}

// fdt_find_compatible() iterates: 8 virtio,mmio transports at
// 0x10001000..0x10008000, one ns16550a UART at 0x10000000, the root is
// a candidate when starting from -1, and an unknown string finds nothing.
static void fdt_compatible_iter(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct fdt fdt;
    uint64_t addr, size;
    unsigned seen = 0;
    int node = -1, n = 0;

    CHECK_EQ(fdt_init(&fdt, files[i]->data, files[i]->len), 0);
    while ((node = fdt_find_compatible(&fdt, node, "virtio,mmio")) >= 0) {
      CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
      CHECK(addr >= 0x10001000 && addr <= 0x10008000);
      CHECK_EQ(addr & 0xfff, 0);
      CHECK_EQ(size, 0x1000);
      seen |= 1u << ((addr - 0x10001000) >> 12);
      n++;
    }
    CHECK_EQ(node, FDT_ERR_NOTFOUND);
    CHECK_EQ(n, 8);
    CHECK_EQ(seen, 0xff);
    CHECK_EQ(count_compatible(&fdt, "ns16550a"), 1);
    node = fdt_find_compatible(&fdt, -1, "ns16550a");
    CHECK_STR(fdt_node_name(&fdt, node), "serial@10000000");
    CHECK_EQ(fdt_parent(&fdt, node), fdt_path(&fdt, "/soc"));
    CHECK_EQ(fdt_find_compatible(&fdt, -1, "riscv-virtio"), 0);
    CHECK_EQ(fdt_find_compatible(&fdt, -1, "nosuch,device"),
             FDT_ERR_NOTFOUND);
    // "sifive,test0" is the second string of a three-string list.
    CHECK_EQ(count_compatible(&fdt, "sifive,test0"), 1);
    CHECK_EQ(count_compatible(&fdt, "numa-distance-map-v1"),
             files[i]->nodes > 1 ? 1 : 0);
  }
}

// The distance map: n1 has none (the defaults stay), n2 and n4 give the
// full matrix, 10 on the diagonal, 20 off it, 40 between 0 and 3 in n4.
// A table too small for the node ids is refused and left untouched.
static void fdt_distance(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct file *f = files[i];
    struct fdt fdt;
    uint32_t dist[8 * 8], want;
    int a, b;

    CHECK_EQ(fdt_init(&fdt, f->data, f->len), 0);
    memset(dist, 0xab, sizeof(dist));
    if (f->nodes == 1) {
      CHECK_EQ(fdt_distance_map(&fdt, dist, 8), FDT_ERR_NOTFOUND);
      CHECK_EQ(dist[0], 0xabababab);
      continue;
    }
    CHECK_EQ(fdt_distance_map(&fdt, dist, 8), 0);
    for (a = 0; a < f->nodes; a++)
      for (b = 0; b < f->nodes; b++) {
        want = a == b ? 10 : 20;
        if ((a == 0 && b == 3) || (a == 3 && b == 0))
          want = 40;
        CHECK_EQ(dist[a * 8 + b], want);
      }
    CHECK_EQ(dist[f->nodes], 0xabababab);     // row 0, past the nodes
    memset(dist, 0xab, sizeof(dist));
    CHECK_EQ(fdt_distance_map(&fdt, dist, f->nodes - 1), FDT_ERR_BADVALUE);
    CHECK_EQ(dist[0], 0xabababab);
    CHECK_EQ(fdt_distance_map(&fdt, dist, 0), FDT_ERR_NOSPACE);
  }
}

// QEMU writes an empty reservation block: entry 0 is already the end.
static void fdt_memreserve_none(void) {
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    struct fdt fdt;
    uint64_t addr, size;

    CHECK_EQ(fdt_init(&fdt, files[i]->data, files[i]->len), 0);
    CHECK_EQ(fdt_memreserve(&fdt, 0, &addr, &size), FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_memreserve(&fdt, 5, &addr, &size), FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_memreserve(&fdt, -1, &addr, &size), FDT_ERR_NOTFOUND);
  }
}

// ---- broken headers ---------------------------------------------------

// A wrong magic number is the first thing fdt_init() reports, so that
// "no device tree here at all" is told apart from a damaged one.
static void fdt_bad_magic(void) {
  uint32_t n = total(&n2);
  uint8_t *b = copy_of(&n2, n);
  struct fdt fdt;

  b[3] ^= 1;
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_BADMAGIC);
  set32(b, 0xedfe0dd0);                      // little-endian by mistake
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_BADMAGIC);
  CHECK_EQ(fdt_init(&fdt, NULL, n), FDT_ERR_BADMAGIC);
  free(b);
}

// Versions below 16 and blobs that need a reader newer than 17 are
// refused (spec 5.1); a version-16 blob, without size_dt_struct, is read.
static void fdt_bad_version(void) {
  uint32_t n = total(&n2);
  uint8_t *b = copy_of(&n2, n);
  struct fdt fdt;

  set32(b + 20, 15);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_BADVERSION);
  set32(b + 20, 17);
  set32(b + 24, 18);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_BADVERSION);
  set32(b + 20, 16);
  set32(b + 24, 16);
  set32(b + 36, 0xffffffff);                 // not a field in version 16
  CHECK_EQ(fdt_init(&fdt, b, n), 0);
  CHECK_EQ(fdt.struct_size, n - fdt.struct_off);
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/cpus/cpu@3")), "cpu@3");
  set32(b + 20, 18);                         // newer but compatible
  set32(b + 24, 17);
  set32(b + 36, get32(n2.data + 36));
  CHECK_EQ(fdt_init(&fdt, b, n), 0);
  free(b);
}

// Every limit shorter than totalsize is refused with FDT_ERR_TRUNCATED.
// Each prefix sits in a buffer of exactly `limit` bytes, so reading even
// the header fields past the limit would be caught.
static void fdt_truncated_limits(void) {
  uint32_t n = total(&n2);
  struct fdt fdt;

  for (uint32_t limit = 0; limit < n; limit++) {
    uint8_t *b = copy_of(&n2, limit);
    int err = fdt_init(&fdt, b, limit);

    free(b);
    if (err != FDT_ERR_TRUNCATED)
      FAILF("limit %u of %u: got %d, want %d", limit, n, err,
            FDT_ERR_TRUNCATED);
  }
}

// Header fields that point outside the blob, into the header, or off a
// 4-byte boundary are refused, and wrapping 32-bit sums do not fool it.
static void fdt_bad_header_fields(void) {
  static const struct {
    int field;              // byte offset of the header field
    uint32_t value;
    int want;
  } cases[] = {
    {4, 0xffffffff, FDT_ERR_TRUNCATED},     // totalsize > limit
    {4, 8, FDT_ERR_BADSTRUCT},              // smaller than the header
    {4, 0, FDT_ERR_BADSTRUCT},
    {8, 0xfffffffc, FDT_ERR_TRUNCATED},     // off_dt_struct
    {8, 0x10000000, FDT_ERR_TRUNCATED},
    {8, 0x3a, FDT_ERR_BADSTRUCT},           // not 4-aligned
    {8, 0, FDT_ERR_BADSTRUCT},              // on top of the header
    {36, 0xffffffff, FDT_ERR_TRUNCATED},    // size_dt_struct
    {36, 0x7ffffffc, FDT_ERR_TRUNCATED},
    {12, 0xffffffff, FDT_ERR_TRUNCATED},    // off_dt_strings
    {12, 4, FDT_ERR_BADSTRUCT},
    {32, 0xffffffff, FDT_ERR_TRUNCATED},    // size_dt_strings
    {16, 0xfffffff8, FDT_ERR_TRUNCATED},    // off_mem_rsvmap
    {16, 0x2c, FDT_ERR_BADSTRUCT},          // not 8-aligned
    {16, 0x8, FDT_ERR_BADSTRUCT},
  };
  uint32_t n = total(&n2);
  struct fdt fdt;

  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    uint8_t *b = copy_of(&n2, n);
    int err;

    set32(b + cases[i].field, cases[i].value);
    err = fdt_init(&fdt, b, n);
    free(b);
    if (err != cases[i].want)
      FAILF("field %d = 0x%x: got %d, want %d", cases[i].field,
            cases[i].value, err, cases[i].want);
  }

  // A block whose offset + size wraps around 2^32 to a small number.
  uint8_t *b = copy_of(&n2, n);
  set32(b + 32, 0u - get32(b + 12) + 4);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_TRUNCATED);
  // A structure block one word short loses its FDT_END.
  memcpy(b, n2.data, n);
  set32(b + 36, get32(n2.data + 36) - 4);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_TRUNCATED);
  // A strings block one byte short leaves its last name unterminated.
  memcpy(b, n2.data, n);
  set32(b + 32, get32(n2.data + 32) - 1);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_TRUNCATED);
  // totalsize one short cuts into the strings block.
  memcpy(b, n2.data, n);
  set32(b + 4, n - 1);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_TRUNCATED);
  free(b);
}

// A property whose nameoff points past the strings block is refused by
// fdt_init(); and if the blob changes after fdt_init(), fdt_getprop()
// still refuses it rather than read a name outside the blob.
static void fdt_bad_nameoff(void) {
  uint32_t n = total(&n2);
  uint8_t *b = copy_of(&n2, n);
  uint8_t *prop = b + get32(b + 8) + 8;  // root: BEGIN, "" padded, PROP
  struct fdt fdt;
  const void *val;
  int len;

  CHECK_EQ(get32(prop), 3);                  // FDT_PROP
  set32(prop + 8, get32(b + 32));            // == size_dt_strings
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_BADSTRUCT);
  set32(prop + 8, 0xffffffff);
  CHECK_EQ(fdt_init(&fdt, b, n), FDT_ERR_BADSTRUCT);

  memcpy(b, n2.data, n);
  CHECK_EQ(fdt_init(&fdt, b, n), 0);
  set32(prop + 8, 0x80000000);
  CHECK_EQ(fdt_getprop(&fdt, 0, "model", &val, &len), FDT_ERR_BADSTRUCT);
  CHECK(!fdt_prop_has_string(&fdt, 0, "compatible", "riscv-virtio"));
  free(b);
}

// ---- every word of the structure block, broken in turn -----------------

// Is [p, p+len) inside the blob?
static bool inside(const struct fdt *fdt, const void *p, size_t len) {
  const uint8_t *q = p;

  return q >= fdt->blob && q <= fdt->blob + fdt->size &&
         len <= (size_t)(fdt->blob + fdt->size - q);
}

// Is `node` an error code or an offset inside the structure block?
static bool sane_node(const struct fdt *fdt, int node) {
  return node < 0 || (uint32_t)node < fdt->struct_size;
}

// Call every reader on every node of a possibly broken blob; check that
// the walk ends and that everything returned points into the blob.
// Reports the first problem through FAILF (so check unit_case_failed).
static void exercise(const struct fdt *fdt) {
  static const char *props[] = {"reg", "compatible", "numa-node-id",
                                "#address-cells", "distance-matrix", "x"};
  static const char *paths[] = {"/cpus/cpu@1", "/soc/plic", "/memory",
                                "/distance-map", "/cpus/cpu-map/cluster1"};
  uint32_t dist[4 * 4];
  uint64_t addr, size;
  const void *val;
  const char *name;
  int node, depth = 0, steps = 0, len, p;

  for (node = fdt_root(fdt); node >= 0;
       node = fdt_next_node(fdt, node, &depth)) {
    // Each step moves forward by at least one token.
    if (++steps > (int)(fdt->struct_size / 4) + 1)
      FAILF("walk does not end");
    if (!sane_node(fdt, node))
      FAILF("node offset %d outside the structure block", node);
    name = fdt_node_name(fdt, node);
    if (name == NULL || !inside(fdt, name, strlen(name) + 1))
      FAILF("bad name for node %d", node);
    for (size_t i = 0; i < ARRAY_SIZE(props); i++)
      if (fdt_getprop(fdt, node, props[i], &val, &len) == 0 &&
          (len < 0 || !inside(fdt, val, (size_t)len)))
        FAILF("property %s of node %d outside the blob", props[i], node);
    p = fdt_parent(fdt, node);
    if (!sane_node(fdt, p) || !sane_node(fdt, fdt_first_child(fdt, node)) ||
        !sane_node(fdt, fdt_next_sibling(fdt, node)))
      FAILF("relative of node %d outside the structure block", node);
    fdt_reg(fdt, node, 0, &addr, &size);
    fdt_numa_node(fdt, node);
    fdt_prop_has_string(fdt, node, "compatible", "virtio,mmio");
  }
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
    if (!sane_node(fdt, fdt_path(fdt, paths[i])))
      FAILF("fdt_path(%s) outside the structure block", paths[i]);
  steps = 0;
  for (node = -1; (node = fdt_find_compatible(fdt, node, "riscv")) >= 0;)
    if (++steps > (int)(fdt->struct_size / 4) + 1 || !sane_node(fdt, node))
      FAILF("fdt_find_compatible does not end or goes outside");
  fdt_distance_map(fdt, dist, 4);
  fdt_memreserve(fdt, 0, &addr, &size);
}

// Overwrite each word of n2's structure block, one at a time, with a
// bad token, a token in the wrong place, or a huge length. Either
// fdt_init() refuses the blob, or all readers stay inside it. Then the
// same on a blob broken *after* fdt_init() accepted it, as a guest could
// do to its own memory: the readers' own checks must suffice.
static void fdt_struct_flips(void) {
  static const uint32_t bad[] = {0xffffffff, 0x00000003, 0x00000001,
                                 0x00000002, 0x00000009, 0x7ffffff0};
  uint32_t n = total(&n2);
  uint8_t *b = copy_of(&n2, n);
  uint32_t so = get32(n2.data + 8), ss = get32(n2.data + 36);
  struct fdt fdt;
  int accepted = 0;

  for (uint32_t w = 0; w < ss; w += 4) {
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
      memcpy(b, n2.data, n);
      set32(b + so + w, bad[i]);
      if (fdt_init(&fdt, b, n) == 0) {
        accepted++;
        exercise(&fdt);
        if (unit_case_failed)
          FAILF("(checked first) word at 0x%x = 0x%x", w, bad[i]);
      }
      memcpy(b, n2.data, n);
      CHECK_EQ(fdt_init(&fdt, b, n), 0);
      set32(b + so + w, bad[i]);
      exercise(&fdt);
      if (unit_case_failed)
        FAILF("(broken after init) word at 0x%x = 0x%x", w, bad[i]);
    }
  }
  // Words inside property values change no structure: some pass.
  CHECK(accepted > 0);
  free(b);
}

// ---- small blobs built by hand -----------------------------------------

// A blob under construction: a reservation block, a structure block and
// a strings block, joined behind a header by finish().
struct builder {
  uint8_t rsv[256], st[2048], str[256];
  size_t nrsv, nst, nstr;
};

static void put32(uint8_t *buf, size_t *n, uint32_t v) {
  set32(buf + *n, v);
  *n += 4;
}

static void rsv(struct builder *b, uint64_t addr, uint64_t size) {
  put32(b->rsv, &b->nrsv, addr >> 32);
  put32(b->rsv, &b->nrsv, (uint32_t)addr);
  put32(b->rsv, &b->nrsv, size >> 32);
  put32(b->rsv, &b->nrsv, (uint32_t)size);
}

static void tok(struct builder *b, uint32_t t) {
  put32(b->st, &b->nst, t);
}

// FDT_BEGIN_NODE and its name, NUL-terminated and padded to 4 bytes.
static void begin(struct builder *b, const char *name) {
  size_t len = strlen(name) + 1;

  tok(b, 1);
  memset(b->st + b->nst, 0, (len + 3) & ~3UL);
  memcpy(b->st + b->nst, name, len);
  b->nst += (len + 3) & ~3UL;
}

// FDT_PROP with the given name (added to the strings block) and value.
static void prop(struct builder *b, const char *name, const void *val, size_t len) {
  size_t nlen = strlen(name) + 1;

  tok(b, 3);
  tok(b, (uint32_t)len);
  tok(b, (uint32_t)b->nstr);
  memcpy(b->str + b->nstr, name, nlen);
  b->nstr += nlen;
  memset(b->st + b->nst, 0, (len + 3) & ~3UL);
  memcpy(b->st + b->nst, val, len);
  b->nst += (len + 3) & ~3UL;
}

// A property of u32 cells.
static void prop_cells(struct builder *b, const char *name, int n, const uint32_t *v) {
  uint8_t buf[64];

  for (int i = 0; i < n; i++)
    set32(buf + 4 * i, v[i]);
  prop(b, name, buf, 4 * n);
}

// Join the parts behind a header into a malloc'd blob of exactly the
// returned size. With `terminate`, end the reservation block with {0,0}.
static uint8_t *finish(struct builder *b, bool terminate, uint32_t *size) {
  uint32_t rsvoff = 40, stoff, stroff, tot;
  uint8_t *blob;

  if (terminate)
    rsv(b, 0, 0);
  stoff = rsvoff + b->nrsv;
  stroff = stoff + b->nst;
  tot = stroff + b->nstr;
  blob = calloc(1, tot);
  set32(blob + 0, 0xd00dfeed);
  set32(blob + 4, tot);
  set32(blob + 8, stoff);
  set32(blob + 12, stroff);
  set32(blob + 16, rsvoff);
  set32(blob + 20, 17);
  set32(blob + 24, 16);
  set32(blob + 32, b->nstr);
  set32(blob + 36, b->nst);
  memcpy(blob + rsvoff, b->rsv, b->nrsv);
  memcpy(blob + stoff, b->st, b->nst);
  memcpy(blob + stroff, b->str, b->nstr);
  *size = tot;
  return blob;
}

// fdt_init() on a built blob; frees it and returns the result.
static int init_built(struct builder *b, bool terminate) {
  uint32_t n;
  uint8_t *blob = finish(b, terminate, &n);
  struct fdt fdt;
  int err = fdt_init(&fdt, blob, n);

  free(blob);
  return err;
}

// The reservation block lists {address, size} pairs until {0, 0}
// (spec 5.3); without that end entry the blob is truncated. NOPs may
// stand anywhere in the structure block.
static void fdt_memreserve_entries(void) {
  struct builder b = {0};
  uint32_t n;
  uint8_t *blob;
  struct fdt fdt;
  uint64_t addr, size;
  const void *val;
  int len;

  rsv(&b, 0x80000000, 0x200000);
  rsv(&b, 0x1234567800000000ULL, 0x1000);
  tok(&b, 4);                                // NOP before the root
  begin(&b, "");
  tok(&b, 4);
  prop(&b, "model", "tiny", 5);
  begin(&b, "chosen");
  tok(&b, 2);
  tok(&b, 4);
  tok(&b, 2);
  tok(&b, 9);
  blob = finish(&b, true, &n);
  CHECK_EQ(fdt_init(&fdt, blob, n), 0);
  CHECK_EQ(fdt_memreserve(&fdt, 0, &addr, &size), 0);
  CHECK_EQ(addr, 0x80000000);
  CHECK_EQ(size, 0x200000);
  CHECK_EQ(fdt_memreserve(&fdt, 1, &addr, &size), 0);
  CHECK_EQ(addr, 0x1234567800000000ULL);
  CHECK_EQ(size, 0x1000);
  CHECK_EQ(fdt_memreserve(&fdt, 2, &addr, &size), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_root(&fdt), 4);
  CHECK_EQ(fdt_getprop(&fdt, 4, "model", &val, &len), 0);
  CHECK_EQ(len, 5);
  CHECK_STR(val, "tiny");
  CHECK(fdt_path(&fdt, "/chosen") > 0);
  CHECK_EQ(fdt_parent(&fdt, fdt_path(&fdt, "/chosen")), 4);
  free(blob);

  // The same reservations with no {0, 0}: the block runs into the
  // structure block and on to the end of the blob.
  b.nrsv = 0;
  rsv(&b, 0x80000000, 0x200000);
  CHECK(init_built(&b, false) < 0);
}

// Trees that do not balance, or break another rule of spec 5.4.2, are
// refused by fdt_init() with FDT_ERR_BADSTRUCT (or FDT_ERR_TRUNCATED when
// the structure block ends before FDT_END).
static void fdt_unbalanced(void) {
  struct builder b;

  // Root never closed.
  b = (struct builder){0};
  begin(&b, ""); begin(&b, "a"); tok(&b, 2); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  // One END_NODE too many.
  b = (struct builder){0};
  begin(&b, ""); tok(&b, 2); tok(&b, 2); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  // Two roots.
  b = (struct builder){0};
  begin(&b, ""); tok(&b, 2); begin(&b, ""); tok(&b, 2); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  // No root at all.
  b = (struct builder){0};
  tok(&b, 4); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  // A property after a child node, and one outside any node.
  b = (struct builder){0};
  begin(&b, ""); begin(&b, "a"); tok(&b, 2); prop(&b, "x", "", 0);
  tok(&b, 2); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  b = (struct builder){0};
  prop(&b, "x", "", 0); begin(&b, ""); tok(&b, 2); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  // An unknown token.
  b = (struct builder){0};
  begin(&b, ""); tok(&b, 5); tok(&b, 2); tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
  // No FDT_END: the block just stops.
  b = (struct builder){0};
  begin(&b, ""); tok(&b, 2);
  CHECK_EQ(init_built(&b, true), FDT_ERR_TRUNCATED);
  // A node name whose NUL would be past the block.
  b = (struct builder){0};
  tok(&b, 1); put32(b.st, &b.nst, 0x61616161);
  CHECK_EQ(init_built(&b, true), FDT_ERR_TRUNCATED);
  // A property longer than what is left of the block.
  b = (struct builder){0};
  begin(&b, ""); prop(&b, "x", "abcd", 4); tok(&b, 2); tok(&b, 9);
  set32(b.st + 12, 17);
  CHECK_EQ(init_built(&b, true), FDT_ERR_TRUNCATED);
}

// Nesting is capped (32 levels) so fdt_parent() can keep its ancestors
// on the stack; 31 levels still work, 40 are refused.
static void fdt_deep_nesting(void) {
  struct builder b = {0};
  uint32_t n;
  uint8_t *blob;
  struct fdt fdt;
  int node, depth = 0, last = 0, prev = 0;

  for (int i = 0; i < 31; i++)
    begin(&b, i ? "n" : "");
  for (int i = 0; i < 31; i++)
    tok(&b, 2);
  tok(&b, 9);
  blob = finish(&b, true, &n);
  CHECK_EQ(fdt_init(&fdt, blob, n), 0);
  for (node = 0; node >= 0; node = fdt_next_node(&fdt, node, &depth)) {
    prev = last;
    last = node;
  }
  CHECK_EQ(depth, 30);
  CHECK_EQ(fdt_parent(&fdt, last), prev);
  free(blob);

  b = (struct builder){0};
  for (int i = 0; i < 40; i++)
    begin(&b, i ? "n" : "");
  for (int i = 0; i < 40; i++)
    tok(&b, 2);
  tok(&b, 9);
  CHECK_EQ(init_built(&b, true), FDT_ERR_BADSTRUCT);
}

// fdt_reg() takes #address-cells/#size-cells from the parent, with the
// defaults 2 and 1 when the parent says nothing (spec 2.3.5); it refuses
// more than 2 cells and a reg that is not a whole number of entries.
static void fdt_reg_cells(void) {
  static const uint32_t one[] = {1}, three[] = {3};
  static const uint32_t reg2[] = {0x1000, 0x10, 0x2000, 0x20};
  static const uint32_t reg3[] = {0x1, 0x2, 0x3, 0x4, 0x5, 0x6};
  struct builder b = {0};
  uint32_t n;
  uint8_t *blob;
  struct fdt fdt;
  uint64_t addr, size;
  int node;

  begin(&b, "");
  begin(&b, "bus");                          // 1 + 1 cells
  prop_cells(&b, "#address-cells", 1, one);
  prop_cells(&b, "#size-cells", 1, one);
  begin(&b, "dev@1000");
  prop_cells(&b, "reg", 4, reg2);
  tok(&b, 2);
  begin(&b, "odd");
  prop_cells(&b, "reg", 3, reg2);
  tok(&b, 2);
  tok(&b, 2);
  begin(&b, "plain");                        // defaults: 2 + 1 cells
  prop_cells(&b, "#address-cells", 1, three);
  begin(&b, "wide");
  prop_cells(&b, "reg", 3, reg3);
  tok(&b, 2);
  tok(&b, 2);
  begin(&b, "top");
  prop_cells(&b, "reg", 6, reg3);
  tok(&b, 2);
  tok(&b, 2);
  tok(&b, 9);
  blob = finish(&b, true, &n);
  CHECK_EQ(fdt_init(&fdt, blob, n), 0);

  node = fdt_path(&fdt, "/bus/dev");
  CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
  CHECK_EQ(addr, 0x1000);
  CHECK_EQ(size, 0x10);
  CHECK_EQ(fdt_reg(&fdt, node, 1, &addr, &size), 0);
  CHECK_EQ(addr, 0x2000);
  CHECK_EQ(size, 0x20);
  CHECK_EQ(fdt_reg(&fdt, node, 2, &addr, &size), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_reg(&fdt, fdt_path(&fdt, "/bus/odd"), 0, &addr, &size),
           FDT_ERR_BADVALUE);
  CHECK_EQ(fdt_reg(&fdt, fdt_path(&fdt, "/plain/wide"), 0, &addr, &size),
           FDT_ERR_BADVALUE);
  // The root has no #address-cells: 2 + 1 cells, so 6 cells = 2 entries.
  node = fdt_path(&fdt, "/top");
  CHECK_EQ(fdt_reg(&fdt, node, 1, &addr, &size), 0);
  CHECK_EQ(addr, 0x400000005ULL);
  CHECK_EQ(size, 6);
  CHECK_EQ(fdt_reg(&fdt, fdt_path(&fdt, "/bus"), 0, &addr, &size),
           FDT_ERR_NOTFOUND);                // no reg at all
  free(blob);
}

// A distance-map with a bad matrix: a length that is not whole triplets,
// a node's distance to itself other than 10, and no matrix at all.
static void fdt_distance_bad(void) {
  static const uint32_t part[] = {0, 1, 20, 1};
  static const uint32_t self[] = {0, 0, 20};
  const uint32_t *vals[] = {part, self, NULL};
  const int lens[] = {4, 3, 0};
  uint32_t dist[4];

  for (int i = 0; i < 3; i++) {
    struct builder b = {0};
    uint32_t n;
    uint8_t *blob;
    struct fdt fdt;

    begin(&b, "");
    begin(&b, "distance-map");
    prop(&b, "compatible", "numa-distance-map-v1", 21);
    if (vals[i])
      prop_cells(&b, "distance-matrix", lens[i], vals[i]);
    tok(&b, 2);
    tok(&b, 2);
    tok(&b, 9);
    blob = finish(&b, true, &n);
    CHECK_EQ(fdt_init(&fdt, blob, n), 0);
    memset(dist, 0, sizeof(dist));
    CHECK_EQ(fdt_distance_map(&fdt, dist, 2), FDT_ERR_BADVALUE);
    CHECK_EQ(dist[0] | dist[1] | dist[2] | dist[3], 0);
    free(blob);
  }
}

// A component without "@" matches "name" or "name@unit", the first one
// in the stream; one with "@" must match the whole name exactly.
static void fdt_path_units(void) {
  struct builder b = {0};
  uint32_t n;
  uint8_t *blob;
  struct fdt fdt;

  begin(&b, "");
  begin(&b, "cpu@10"); tok(&b, 2);
  begin(&b, "cpu@1"); tok(&b, 2);
  begin(&b, "cpus"); tok(&b, 2);
  begin(&b, "a@1@2"); tok(&b, 2);
  tok(&b, 2);
  tok(&b, 9);
  blob = finish(&b, true, &n);
  CHECK_EQ(fdt_init(&fdt, blob, n), 0);
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/cpu")), "cpu@10");
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/cpu@1")), "cpu@1");
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/cpu@10")), "cpu@10");
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/cpus")), "cpus");
  CHECK_STR(fdt_node_name(&fdt, fdt_path(&fdt, "/a")), "a@1@2");
  CHECK_EQ(fdt_path(&fdt, "/a@1"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "/cpu@1/x"), FDT_ERR_NOTFOUND);
  free(blob);
}

// fdt_init() accepted the blob, then its memory changed (a guest can
// write its own device tree while we read it). The readers must notice
// by their own checks: a node outside the root, a reservation block with
// no end, FDT_END in the middle of a node's properties.
static void fdt_changed_after_init(void) {
  static const uint32_t one[] = {1};
  struct builder b = {0};
  uint32_t n, nop, rsvend, child;
  uint8_t *blob, *saved;
  struct fdt fdt;
  uint64_t addr, size;
  const void *val;
  int len, a, bnode;

  rsv(&b, 0x1000, 0x10);
  rsvend = 40 + b.nrsv;                      // where {0, 0} will go
  begin(&b, "");
  prop_cells(&b, "x", 1, one);
  child = b.nst;
  begin(&b, "a"); tok(&b, 2);
  nop = b.nst;
  tok(&b, 4); tok(&b, 4);
  begin(&b, "b"); tok(&b, 2);
  tok(&b, 2);
  tok(&b, 9);
  blob = finish(&b, true, &n);
  saved = malloc(n);
  memcpy(saved, blob, n);
  CHECK_EQ(fdt_init(&fdt, blob, n), 0);
  a = fdt_path(&fdt, "/a");
  bnode = fdt_path(&fdt, "/b");
  CHECK(a > 0 && bnode > a);
  CHECK_EQ(fdt_next_sibling(&fdt, a), bnode);

  // Two NOPs become END_NODEs: "b" now follows the end of the root.
  set32(blob + fdt.struct_off + nop, 2);
  set32(blob + fdt.struct_off + nop + 4, 2);
  CHECK_EQ(fdt_parent(&fdt, bnode), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_next_sibling(&fdt, a), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_path(&fdt, "/b"), FDT_ERR_NOTFOUND);
  CHECK(fdt_reg(&fdt, bnode, 0, &addr, &size) < 0);

  // The {0, 0} entry is overwritten: the block runs on to the end.
  memcpy(blob, saved, n);
  memset(blob + rsvend, 0xff, 16);
  CHECK_EQ(fdt_memreserve(&fdt, 0, &addr, &size), 0);
  CHECK_EQ(fdt_memreserve(&fdt, 1, &addr, &size), 0);
  CHECK(fdt_memreserve(&fdt, 1000, &addr, &size) < 0);

  // FDT_END where the root's first child began.
  memcpy(blob, saved, n);
  set32(blob + fdt.struct_off + child, 9);
  CHECK_EQ(fdt_getprop(&fdt, 0, "x", &val, &len), 0);
  CHECK_EQ(fdt_getprop(&fdt, 0, "y", &val, &len), FDT_ERR_BADSTRUCT);
  CHECK_EQ(fdt_first_child(&fdt, 0), FDT_ERR_NOTFOUND);
  free(saved);
  free(blob);
}

// fdt_strerror() has a message for each code and for unknown ones.
static void fdt_strerror_all(void) {
  for (int e = 0; e >= -8; e--)
    CHECK(fdt_strerror(e) != NULL && fdt_strerror(e)[0] != '\0');
  CHECK(strcmp(fdt_strerror(FDT_ERR_TRUNCATED), fdt_strerror(-99)) != 0);
}

// fdt_getprop_string copies a string property, cuts it to the buffer
// and always terminates it; an absent property leaves "".
static void fdt_getprop_string_cuts(void) {
  struct fdt fdt;
  char buf[8];

  CHECK_EQ(fdt_init(&fdt, n2.data, n2.len), 0);
  int uart = fdt_path(&fdt, "/soc/serial@10000000");
  CHECK(uart >= 0);
  CHECK_EQ(fdt_getprop_string(&fdt, uart, "compatible", buf, sizeof(buf)), 0);
  CHECK_STR(buf, "ns16550");
  CHECK_EQ(fdt_getprop_string(&fdt, uart, "no-such-prop", buf, sizeof(buf)),
           FDT_ERR_NOTFOUND);
  CHECK_STR(buf, "");
  CHECK_EQ(fdt_getprop_string(&fdt, uart, "compatible", buf, 0),
           FDT_ERR_NOSPACE);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR-WITH-DTBS\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < ARRAY_SIZE(files); i++)
    load(argv[1], files[i]);

  TEST_RUN(fdt_header_real);
  TEST_RUN(fdt_getprop_string_cuts);
  TEST_RUN(fdt_walk_depth);
  TEST_RUN(fdt_path_lookup);
  TEST_RUN(fdt_parent_links);
  TEST_RUN(fdt_reg_memory);
  TEST_RUN(fdt_reg_cpus);
  TEST_RUN(fdt_reg_intc);
  TEST_RUN(fdt_compatible_iter);
  TEST_RUN(fdt_distance);
  TEST_RUN(fdt_memreserve_none);
  TEST_RUN(fdt_bad_magic);
  TEST_RUN(fdt_bad_version);
  TEST_RUN(fdt_truncated_limits);
  TEST_RUN(fdt_bad_header_fields);
  TEST_RUN(fdt_bad_nameoff);
  TEST_RUN(fdt_struct_flips);
  TEST_RUN(fdt_memreserve_entries);
  TEST_RUN(fdt_unbalanced);
  TEST_RUN(fdt_deep_nesting);
  TEST_RUN(fdt_reg_cells);
  TEST_RUN(fdt_distance_bad);
  TEST_RUN(fdt_path_units);
  TEST_RUN(fdt_changed_after_init);
  TEST_RUN(fdt_strerror_all);

  for (size_t i = 0; i < ARRAY_SIZE(files); i++)
    free(files[i]->data);
  return TEST_EXIT();
}
