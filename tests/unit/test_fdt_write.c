// tests/unit/test_fdt_write.c: host tests for kernel/fdt_write.c, the
// DTB writer.
//
// The main check is a round trip: write a tree shaped like the one QEMU's
// virt machine gives a two-hart, two-node guest, then read every value
// back with kernel/fdt.c, the reader the monitor itself uses. A second,
// independent judge is dtc, the reference device tree compiler: it must
// turn our blob back into source without a complaint.
//
// The rest checks the edges: the exact bytes of a tiny tree, buffers too
// small by any amount (each one a malloc of exactly its size, so that
// AddressSanitizer stops the test at a write one byte past the end),
// trees that break the nesting rules, and the sharing of property names.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/fdt.h"
#include "kernel/fdt_write.h"
#include "tests/unit/unit.h"

// ---- helpers ---------------------------------------------------------

static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get64(const uint8_t *p) {
  return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

// Phandles of the guest's interrupt controllers, as QEMU numbers them.
#define PH_INTC0 2
#define PH_INTC1 4
#define PH_PLIC  5

// The NUMA distance between the guest's two nodes: not the binding's
// default of 20, so that reading it back proves it was read.
#define REMOTE   30

// Write one hart of the guest: /cpus/cpu@id and its local interrupt
// controller (the hart's own interrupts: software, timer, external).
static void write_cpu(struct fdt_writer *w, int id, uint32_t intc_phandle) {
  char name[16];

  snprintf(name, sizeof(name), "cpu@%d", id);
  fdt_write_node_begin(w, name);
  fdt_write_prop_string(w, "device_type", "cpu");
  fdt_write_prop_u32(w, "reg", (uint32_t)id);
  fdt_write_prop_string(w, "status", "okay");
  fdt_write_prop_string(w, "compatible", "riscv");
  fdt_write_prop_string(w, "riscv,isa", "rv64imafdc");
  fdt_write_prop_string(w, "mmu-type", "riscv,sv39");
  fdt_write_prop_u32(w, "numa-node-id", (uint32_t)id);
  fdt_write_node_begin(w, "interrupt-controller");
  // dtc 1.6 warns about an interrupt provider without #address-cells.
  fdt_write_prop_u32(w, "#address-cells", 0);
  fdt_write_prop_u32(w, "#interrupt-cells", 1);
  fdt_write_prop_empty(w, "interrupt-controller");
  fdt_write_prop_string(w, "compatible", "riscv,cpu-intc");
  fdt_write_prop_u32(w, "phandle", intc_phandle);
  fdt_write_node_end(w);
  fdt_write_node_end(w);
}

// Write one memory node: 256 MiB at `base`, on NUMA node `numa`.
static void write_memory(struct fdt_writer *w, uint64_t base, int numa) {
  char name[32];
  uint32_t reg[4] = {(uint32_t)(base >> 32), (uint32_t)base, 0, 0x10000000};

  snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)base);
  fdt_write_node_begin(w, name);
  fdt_write_prop_string(w, "device_type", "memory");
  fdt_write_prop_cells(w, "reg", reg, 4);
  fdt_write_prop_u32(w, "numa-node-id", (uint32_t)numa);
  fdt_write_node_end(w);
}

// Write /soc: a UART, the PLIC (wired to each hart's M- and S-mode
// external interrupt, 11 and 9) and one virtio-mmio slot.
static void write_soc(struct fdt_writer *w) {
  static const char *const plic_compat[] = {"sifive,plic-1.0.0",
                                            "riscv,plic0"};
  static const uint32_t uart_reg[] = {0, 0x10000000, 0, 0x100};
  static const uint32_t plic_reg[] = {0, 0x0c000000, 0, 0x600000};
  static const uint32_t virtio_reg[] = {0, 0x10001000, 0, 0x1000};
  static const uint32_t plic_irqs[] = {PH_INTC0, 11, PH_INTC0, 9,
                                       PH_INTC1, 11, PH_INTC1, 9};

  fdt_write_node_begin(w, "soc");
  fdt_write_prop_u32(w, "#address-cells", 2);
  fdt_write_prop_u32(w, "#size-cells", 2);
  fdt_write_prop_string(w, "compatible", "simple-bus");
  fdt_write_prop_empty(w, "ranges");

  fdt_write_node_begin(w, "serial@10000000");
  fdt_write_prop_u32(w, "interrupts", 10);
  fdt_write_prop_u32(w, "interrupt-parent", PH_PLIC);
  fdt_write_prop_u32(w, "clock-frequency", 0x384000);
  fdt_write_prop_cells(w, "reg", uart_reg, 4);
  fdt_write_prop_string(w, "compatible", "ns16550a");
  fdt_write_node_end(w);

  fdt_write_node_begin(w, "plic@c000000");
  fdt_write_prop_u32(w, "phandle", PH_PLIC);
  fdt_write_prop_u32(w, "riscv,ndev", 0x35);
  fdt_write_prop_cells(w, "reg", plic_reg, 4);
  fdt_write_prop_cells(w, "interrupts-extended", plic_irqs, 8);
  fdt_write_prop_empty(w, "interrupt-controller");
  fdt_write_prop_strings(w, "compatible", plic_compat, 2);
  fdt_write_prop_u32(w, "#address-cells", 0);
  fdt_write_prop_u32(w, "#interrupt-cells", 1);
  fdt_write_node_end(w);

  fdt_write_node_begin(w, "virtio_mmio@10001000");
  fdt_write_prop_u32(w, "interrupts", 1);
  fdt_write_prop_u32(w, "interrupt-parent", PH_PLIC);
  fdt_write_prop_cells(w, "reg", virtio_reg, 4);
  fdt_write_prop_string(w, "compatible", "virtio,mmio");
  fdt_write_node_end(w);

  fdt_write_node_end(w);
}

// Write the whole guest tree into buf[0..size): what the monitor will do
// for a two-hart guest with one hart and 256 MiB on each NUMA node.
// Returns fdt_write_finish()'s answer.
static int write_virt(void *buf, size_t size) {
  static const uint32_t matrix[] = {0, 0, 10, 0, 1, REMOTE,
                                    1, 0, REMOTE, 1, 1, 10};
  struct fdt_writer w;

  fdt_write_begin(&w, buf, size);
  fdt_write_node_begin(&w, "");
  fdt_write_prop_u32(&w, "#address-cells", 2);
  fdt_write_prop_u32(&w, "#size-cells", 2);
  fdt_write_prop_string(&w, "compatible", "riscv-virtio");
  fdt_write_prop_string(&w, "model", "riscv-virtio,qemu");

  fdt_write_node_begin(&w, "chosen");
  fdt_write_prop_string(&w, "bootargs", "console=ttyS0 earlycon");
  fdt_write_prop_string(&w, "stdout-path", "/soc/serial@10000000");
  fdt_write_prop_u64(&w, "linux,initrd-start", 0x84000000ULL);
  fdt_write_node_end(&w);

  write_memory(&w, 0x80000000, 0);
  write_memory(&w, 0x90000000, 1);

  fdt_write_node_begin(&w, "cpus");
  fdt_write_prop_u32(&w, "#address-cells", 1);
  fdt_write_prop_u32(&w, "#size-cells", 0);
  fdt_write_prop_u32(&w, "timebase-frequency", 10000000);
  write_cpu(&w, 0, PH_INTC0);
  write_cpu(&w, 1, PH_INTC1);
  fdt_write_node_end(&w);

  write_soc(&w);

  fdt_write_node_begin(&w, "distance-map");
  fdt_write_prop_string(&w, "compatible", "numa-distance-map-v1");
  fdt_write_prop_cells(&w, "distance-matrix", matrix, 12);
  fdt_write_node_end(&w);

  fdt_write_node_end(&w);
  return fdt_write_finish(&w);
}

// The guest tree in a malloc'd buffer of exactly its size, or NULL.
static uint8_t *virt_blob(int *size) {
  uint8_t big[16384], *blob;

  *size = write_virt(big, sizeof(big));
  if (*size <= 0)
    return NULL;
  blob = malloc((size_t)*size);
  memcpy(blob, big, (size_t)*size);
  return blob;
}

// Check the string value of property `name` of the node at `path`.
#define CHECK_PROP_STR(fdt, path, name, want)                        \
  do {                                                               \
    const void *v_;                                                  \
    int l_;                                                          \
    CHECK_EQ(fdt_getprop((fdt), fdt_path((fdt), (path)), (name),    \
                         &v_, &l_), 0);                              \
    CHECK_EQ(l_, strlen(want) + 1);                                  \
    CHECK_STR((const char *)v_, (want));                             \
  } while (0)

// Check the one-cell property `name` of the node at `path`.
#define CHECK_PROP_U32(fdt, path, name, want)                        \
  do {                                                               \
    uint32_t u_;                                                     \
    CHECK_EQ(fdt_getprop_u32((fdt), fdt_path((fdt), (path)), (name), \
                             &u_), 0);                               \
    CHECK_EQ(u_, (want));                                            \
  } while (0)

// ---- the round trip --------------------------------------------------

// The header says version 17, readable by 16, with the blocks in the
// usual order, one right after the other, and fdt_init() accepts the
// blob with exactly its own size as the limit.
static void fdtw_header(void) {
  int n;
  uint8_t *blob = virt_blob(&n);
  struct fdt fdt;

  CHECK(blob != NULL);
  CHECK_EQ(get32(blob + 0), 0xd00dfeed);
  CHECK_EQ(get32(blob + 4), n);
  CHECK_EQ(get32(blob + 20), 17);
  CHECK_EQ(get32(blob + 24), 16);
  CHECK_EQ(get32(blob + 16), 40);                       // rsvmap first
  CHECK_EQ(get32(blob + 8), 40 + 16);                   // one {0,0} entry
  CHECK_EQ(get32(blob + 12), get32(blob + 8) + get32(blob + 36));
  CHECK_EQ(get32(blob + 12) + get32(blob + 32), n);     // strings last
  CHECK_EQ(fdt_init(&fdt, blob, (size_t)n), 0);
  CHECK_EQ(fdt.size, n);
  free(blob);
}

// Every node of the guest tree is where it was written, with every
// property value intact, as the monitor's own reader finds them: the
// root, /chosen, both memory nodes, both harts and their interrupt
// controllers, the three devices, and the NUMA distance map.
static void fdtw_roundtrip_virt(void) {
  int n, node, cpu, intc, depth = 0, count = 1, i;
  uint8_t *blob = virt_blob(&n);
  struct fdt fdt;
  uint64_t addr, size;
  uint32_t dist[4] = {10, 20, 20, 10};
  const void *val;
  const uint8_t *cells;
  int len;

  CHECK(blob != NULL);
  CHECK_EQ(fdt_init(&fdt, blob, (size_t)n), 0);

  // The root: cell sizes, compatible, model.
  CHECK_EQ(fdt_root(&fdt), 0);
  CHECK_STR(fdt_node_name(&fdt, 0), "");
  CHECK_PROP_U32(&fdt, "/", "#address-cells", 2);
  CHECK_PROP_U32(&fdt, "/", "#size-cells", 2);
  CHECK(fdt_prop_has_string(&fdt, 0, "compatible", "riscv-virtio"));
  CHECK_PROP_STR(&fdt, "/", "model", "riscv-virtio,qemu");

  // Depth-first order sees 14 nodes; the deepest is 3 levels down.
  for (node = 0; (node = fdt_next_node(&fdt, node, &depth)) >= 0;)
    CHECK(++count <= 14 && depth >= 1 && depth <= 3);
  CHECK_EQ(node, FDT_ERR_NOTFOUND);
  CHECK_EQ(count, 14);

  // /chosen: the strings, and a u64 stored high cell first.
  CHECK_PROP_STR(&fdt, "/chosen", "bootargs", "console=ttyS0 earlycon");
  CHECK_PROP_STR(&fdt, "/chosen", "stdout-path", "/soc/serial@10000000");
  CHECK_EQ(fdt_getprop(&fdt, fdt_path(&fdt, "/chosen"),
                       "linux,initrd-start", &val, &len), 0);
  CHECK_EQ(len, 8);
  CHECK_EQ(get64(val), 0x84000000ULL);

  // Memory: one reg entry each (2 + 2 cells, from the root), and a node.
  for (i = 0; i < 2; i++) {
    node = fdt_path(&fdt, i == 0 ? "/memory@80000000" : "/memory@90000000");
    CHECK(node > 0);
    CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
    CHECK_EQ(addr, 0x80000000ULL + i * 0x10000000ULL);
    CHECK_EQ(size, 0x10000000);
    CHECK_EQ(fdt_reg(&fdt, node, 1, &addr, &size), FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_numa_node(&fdt, node), i);
    CHECK(fdt_prop_has_string(&fdt, node, "device_type", "memory"));
  }

  // The harts: reg is 1 + 0 cells under /cpus.
  CHECK_PROP_U32(&fdt, "/cpus", "#address-cells", 1);
  CHECK_PROP_U32(&fdt, "/cpus", "#size-cells", 0);
  CHECK_PROP_U32(&fdt, "/cpus", "timebase-frequency", 10000000);
  for (i = 0; i < 2; i++) {
    cpu = fdt_path(&fdt, i == 0 ? "/cpus/cpu@0" : "/cpus/cpu@1");
    CHECK(cpu > 0);
    CHECK_EQ(fdt_parent(&fdt, cpu), fdt_path(&fdt, "/cpus"));
    CHECK_EQ(fdt_reg(&fdt, cpu, 0, &addr, &size), 0);
    CHECK_EQ(addr, i);
    CHECK_EQ(size, 0);
    CHECK_EQ(fdt_numa_node(&fdt, cpu), i);
    CHECK(fdt_prop_has_string(&fdt, cpu, "device_type", "cpu"));
    CHECK(fdt_prop_has_string(&fdt, cpu, "riscv,isa", "rv64imafdc"));
    CHECK(fdt_prop_has_string(&fdt, cpu, "mmu-type", "riscv,sv39"));
    CHECK(fdt_prop_has_string(&fdt, cpu, "status", "okay"));
    // Its only child is the hart's interrupt controller.
    intc = fdt_first_child(&fdt, cpu);
    CHECK(intc > cpu);
    CHECK_STR(fdt_node_name(&fdt, intc), "interrupt-controller");
    CHECK_EQ(fdt_next_sibling(&fdt, intc), FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_getprop(&fdt, intc, "interrupt-controller", &val, &len), 0);
    CHECK_EQ(len, 0);
    CHECK(fdt_prop_has_string(&fdt, intc, "compatible", "riscv,cpu-intc"));
    CHECK_EQ(fdt_getprop_u32(&fdt, intc, "phandle", (uint32_t *)&len), 0);
    CHECK_EQ(len, i == 0 ? PH_INTC0 : PH_INTC1);
  }
  CHECK_EQ(fdt_find_compatible(&fdt, -1, "riscv,cpu-intc"),
           fdt_path(&fdt, "/cpus/cpu@0/interrupt-controller"));

  // The UART, found by compatible, is the node stdout-path names.
  node = fdt_find_compatible(&fdt, -1, "ns16550a");
  CHECK(node > 0);
  CHECK_EQ(node, fdt_path(&fdt, "/soc/serial@10000000"));
  CHECK_EQ(fdt_find_compatible(&fdt, node, "ns16550a"), FDT_ERR_NOTFOUND);
  CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
  CHECK_EQ(addr, 0x10000000);
  CHECK_EQ(size, 0x100);
  CHECK_PROP_U32(&fdt, "/soc/serial", "interrupts", 10);
  CHECK_PROP_U32(&fdt, "/soc/serial", "interrupt-parent", PH_PLIC);
  CHECK_PROP_U32(&fdt, "/soc/serial", "clock-frequency", 0x384000);

  // The PLIC: a two-string compatible, an empty flag, and
  // interrupts-extended as <phandle irq> pairs.
  node = fdt_path(&fdt, "/soc/plic");
  CHECK(node > 0);
  CHECK_EQ(fdt_find_compatible(&fdt, -1, "riscv,plic0"), node);
  CHECK(fdt_prop_has_string(&fdt, node, "compatible", "sifive,plic-1.0.0"));
  CHECK_EQ(fdt_getprop(&fdt, node, "compatible", &val, &len), 0);
  CHECK_EQ(len, sizeof("sifive,plic-1.0.0") + sizeof("riscv,plic0"));
  CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
  CHECK_EQ(addr, 0x0c000000);
  CHECK_EQ(size, 0x600000);
  CHECK_EQ(fdt_getprop(&fdt, node, "interrupt-controller", &val, &len), 0);
  CHECK_EQ(len, 0);
  CHECK_EQ(fdt_getprop(&fdt, node, "interrupts-extended", &val, &len), 0);
  CHECK_EQ(len, 32);
  cells = val;
  for (i = 0; i < 4; i++) {
    CHECK_EQ(get32(cells + 8 * i), i < 2 ? PH_INTC0 : PH_INTC1);
    CHECK_EQ(get32(cells + 8 * i + 4), i % 2 == 0 ? 11 : 9);
  }
  CHECK_PROP_U32(&fdt, "/soc/plic", "riscv,ndev", 0x35);
  CHECK_PROP_U32(&fdt, "/soc/plic", "phandle", PH_PLIC);

  // The virtio-mmio slot.
  node = fdt_find_compatible(&fdt, -1, "virtio,mmio");
  CHECK_EQ(node, fdt_path(&fdt, "/soc/virtio_mmio@10001000"));
  CHECK_EQ(fdt_reg(&fdt, node, 0, &addr, &size), 0);
  CHECK_EQ(addr, 0x10001000);
  CHECK_EQ(size, 0x1000);
  CHECK_PROP_U32(&fdt, "/soc/virtio_mmio", "interrupts", 1);

  // NUMA: the distance matrix replaces the defaults.
  CHECK_EQ(fdt_distance_map(&fdt, dist, 2), 0);
  CHECK_EQ(dist[0 * 2 + 0], 10);
  CHECK_EQ(dist[0 * 2 + 1], REMOTE);
  CHECK_EQ(dist[1 * 2 + 0], REMOTE);
  CHECK_EQ(dist[1 * 2 + 1], 10);

  // No reservations were asked for: just the {0, 0} end entry.
  CHECK_EQ(fdt_memreserve(&fdt, 0, &addr, &size), FDT_ERR_NOTFOUND);
  free(blob);
}

// dtc, the reference compiler, decompiles the blob without an error or
// a warning, and its source shows the values we wrote. A missing dtc is
// a failure: without it this judge would be silently skipped.
static void fdtw_dtc_accepts(void) {
  char in[] = "/tmp/test_fdt_write.XXXXXX";
  char cmd[512], out[64], err[64], text[16384];
  int n, fd, rc;
  uint8_t *blob = virt_blob(&n);
  FILE *fp;
  size_t got, errlen;

  CHECK(blob != NULL);
  if (system("command -v dtc >/dev/null 2>&1") != 0) {
    free(blob);
    FAILF("dtc is not on PATH: install the device-tree-compiler package");
  }
  fd = mkstemp(in);
  if (fd < 0 || write(fd, blob, (size_t)n) != n) {
    free(blob);
    FAILF("cannot write the blob to %s", in);
  }
  close(fd);
  free(blob);
  snprintf(out, sizeof(out), "%s.dts", in);
  snprintf(err, sizeof(err), "%s.err", in);
  snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o %s %s 2>%s", out, in, err);
  rc = system(cmd);

  // Read what dtc printed on stderr and wrote as source, then clean up.
  fp = fopen(err, "r");
  errlen = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;
  text[errlen] = '\0';
  if (fp)
    fclose(fp);
  if (rc != 0 || errlen != 0) {
    unlink(in), unlink(out), unlink(err);
    FAILF("dtc exited with %d and said: %s", rc, text);
  }
  fp = fopen(out, "r");
  got = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;
  text[got] = '\0';
  if (fp)
    fclose(fp);
  unlink(in), unlink(out), unlink(err);

  CHECK(strstr(text, "bootargs = \"console=ttyS0 earlycon\";"));
  // dtc 1.6 prints a string list as one string with \0 inside, later
  // versions as a list.
  CHECK(strstr(text, "compatible = \"sifive,plic-1.0.0\", \"riscv,plic0\";") ||
        strstr(text, "compatible = \"sifive,plic-1.0.0\\0riscv,plic0\";"));
  CHECK(strstr(text, "interrupts-extended = <0x02 0x0b 0x02 0x09 "
                     "0x04 0x0b 0x04 0x09>;"));
  CHECK(strstr(text, "reg = <0x00 0x90000000 0x00 0x10000000>;"));
  CHECK(strstr(text, "distance-matrix = <0x00 0x00 0x0a 0x00 0x01 0x1e"));
  CHECK(strstr(text, "interrupt-controller;"));
  CHECK(strstr(text, "virtio_mmio@10001000 {"));
}

// ---- the exact bytes -------------------------------------------------

// The smallest tree, "/ { x = <1>; };", comes out byte for byte as
// spec chapter 5 draws it, padding included (the buffer is filled with
// 0xaa first, so a pad byte that is not written shows up).
static void fdtw_tiny_bytes(void) {
  static const uint8_t want[] = {
    0xd0, 0x0d, 0xfe, 0xed,  0, 0, 0, 90,     // magic, totalsize
    0, 0, 0, 56,             0, 0, 0, 88,     // off_dt_struct, _strings
    0, 0, 0, 40,             0, 0, 0, 17,     // off_mem_rsvmap, version
    0, 0, 0, 16,             0, 0, 0, 0,      // last_comp, boot_cpuid
    0, 0, 0, 2,              0, 0, 0, 32,     // size_dt_strings, _struct
    0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,  // rsvmap {0, 0}
    0, 0, 0, 1,              0, 0, 0, 0,      // BEGIN_NODE "" + padding
    0, 0, 0, 3,              0, 0, 0, 4,      // PROP, len 4
    0, 0, 0, 0,              0, 0, 0, 1,      // nameoff 0, value <1>
    0, 0, 0, 2,              0, 0, 0, 9,      // END_NODE, END
    'x', 0,                                   // strings block
  };
  uint8_t buf[256];
  struct fdt_writer w;

  memset(buf, 0xaa, sizeof(buf));
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_prop_u32(&w, "x", 1);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), sizeof(want));
  for (size_t i = 0; i < sizeof(want); i++)
    if (buf[i] != want[i])
      FAILF("byte %zu is 0x%02x, want 0x%02x", i, buf[i], want[i]);
}

// Each value type is stored as spec 2.2.4 says: a u64 high cell first,
// cells big-endian, a string list with a NUL after each string, raw
// bytes as given; values whose length is not a multiple of 4 are padded
// with zeros so the next token is aligned.
static void fdtw_value_types(void) {
  static const char *const list[] = {"a", "", "bcd"};
  static const uint32_t cells[] = {0x01020304, 0xa0b0c0d0};
  uint8_t buf[512];
  struct fdt_writer w;
  struct fdt fdt;
  const void *val;
  const uint8_t *p;
  int len, n;

  memset(buf, 0xaa, sizeof(buf));
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_prop_u64(&w, "u64", 0x1122334455667788ULL);
  fdt_write_prop_cells(&w, "cells", cells, 2);
  fdt_write_prop_cells(&w, "none", cells, 0);
  fdt_write_prop_strings(&w, "list", list, 3);
  fdt_write_prop(&w, "raw", "\x01\x02\x03\x04\x05", 5);
  fdt_write_prop_u32(&w, "after", 7);
  fdt_write_node_end(&w);
  n = fdt_write_finish(&w);
  CHECK(n > 0);
  CHECK_EQ(fdt_init(&fdt, buf, (size_t)n), 0);

  CHECK_EQ(fdt_getprop(&fdt, 0, "u64", &val, &len), 0);
  CHECK_EQ(len, 8);
  CHECK(memcmp(val, "\x11\x22\x33\x44\x55\x66\x77\x88", 8) == 0);
  CHECK_EQ(fdt_getprop(&fdt, 0, "cells", &val, &len), 0);
  CHECK_EQ(len, 8);
  CHECK(memcmp(val, "\x01\x02\x03\x04\xa0\xb0\xc0\xd0", 8) == 0);
  CHECK_EQ(fdt_getprop(&fdt, 0, "none", &val, &len), 0);
  CHECK_EQ(len, 0);
  CHECK_EQ(fdt_getprop(&fdt, 0, "list", &val, &len), 0);
  CHECK_EQ(len, 7);
  CHECK(memcmp(val, "a\0\0bcd\0", 7) == 0);
  CHECK_EQ(fdt_getprop(&fdt, 0, "raw", &val, &len), 0);
  CHECK_EQ(len, 5);
  p = val;
  CHECK(memcmp(p, "\x01\x02\x03\x04\x05\0\0\0", 8) == 0);   // 3 pad zeros
  CHECK_EQ(get32(p + 8), 3);                                 // FDT_PROP
  CHECK_EQ(fdt_getprop(&fdt, 0, "list", &val, &len), 0);
  CHECK_EQ(((const uint8_t *)val)[7], 0);                    // 1 pad zero
  CHECK_PROP_U32(&fdt, "/", "after", 7);
}

// Reservation entries come back in order before the {0, 0} that ends
// them, and the structure block moves down to make room for them.
static void fdtw_memreserve(void) {
  uint8_t buf[512];
  struct fdt_writer w;
  struct fdt fdt;
  uint64_t addr, size;
  int n;

  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_memreserve(&w, 0x80000000, 0x200000);
  fdt_write_memreserve(&w, 0x1234567800000000ULL, 0x1000);
  fdt_write_node_begin(&w, "");
  fdt_write_node_begin(&w, "chosen");
  fdt_write_node_end(&w);
  fdt_write_node_end(&w);
  n = fdt_write_finish(&w);
  CHECK(n > 0);
  CHECK_EQ(get32(buf + 8), 40 + 3 * 16);
  CHECK_EQ(fdt_init(&fdt, buf, (size_t)n), 0);
  CHECK_EQ(fdt_memreserve(&fdt, 0, &addr, &size), 0);
  CHECK_EQ(addr, 0x80000000);
  CHECK_EQ(size, 0x200000);
  CHECK_EQ(fdt_memreserve(&fdt, 1, &addr, &size), 0);
  CHECK_EQ(addr, 0x1234567800000000ULL);
  CHECK_EQ(size, 0x1000);
  CHECK_EQ(fdt_memreserve(&fdt, 2, &addr, &size), FDT_ERR_NOTFOUND);
  CHECK(fdt_path(&fdt, "/chosen") > 0);

  // Too late once a node is open; and {0, 0} would end the list.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_memreserve(&w, 0x80000000, 0x1000);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_memreserve(&w, 0, 0);
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADVALUE);
}

// ---- running out of room ---------------------------------------------

// Writing the guest tree into a buffer of every size from 0 up to one
// byte short fails with FDT_ERR_NOSPACE, never touching a byte outside
// the buffer (each buffer is a malloc of exactly that size, so ASan
// stops the test at the first stray write). From exactly the size needed
// on, it succeeds and gives the same blob as a roomy buffer does; those
// sizes also make finish move the strings over their old place (ASan
// would catch a memcpy where a memmove is needed).
static void fdtw_nospace_every_size(void) {
  int need, got;
  uint8_t *want = virt_blob(&need), *buf;

  CHECK(want != NULL);
  for (int size = 0; size <= need + 64; size++) {
    buf = malloc((size_t)size);
    got = write_virt(buf, (size_t)size);
    if (size < need && got != FDT_ERR_NOSPACE) {
      free(buf), free(want);
      FAILF("a %d-byte buffer (need %d) gave %d, want %d (no space)",
            size, need, got, FDT_ERR_NOSPACE);
    }
    if (size >= need && (got != need || memcmp(buf, want, need) != 0)) {
      free(buf), free(want);
      FAILF("a %d-byte buffer (need %d) gave %d or a different blob",
            size, need, got);
    }
    free(buf);
  }
  free(want);

  // No buffer at all is the same as no room.
  struct fdt_writer w;
  fdt_write_begin(&w, NULL, 4096);
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_NOSPACE);
}

// ---- breaking the rules of spec 5.4.2 --------------------------------

// Trees that do not nest properly are refused with FDT_ERR_BADSTRUCT:
// nodes left open, a node closed twice, a property before any node or
// after a child node, a second root, no root, a named root, a nameless
// child. Errors stick: what comes after the first one changes nothing.
static void fdtw_badstruct(void) {
  uint8_t buf[1024];
  struct fdt_writer w;

  // The root left open, then a child left open too.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_begin(&w, "cpus");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);

  // One node_end too many.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);

  // A property before any node; the valid tree after it is ignored.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_prop_u32(&w, "x", 1);
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);

  // A property after a child node, in the root and deeper down.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_begin(&w, "chosen");
  fdt_write_node_end(&w);
  fdt_write_prop_string(&w, "model", "late");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_begin(&w, "cpus");
  fdt_write_node_begin(&w, "cpu@0");
  fdt_write_node_end(&w);
  fdt_write_prop_empty(&w, "late");
  fdt_write_node_end(&w);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);

  // A second root; no root at all.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  fdt_write_begin(&w, buf, sizeof(buf));
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);

  // The root has the empty name (5.4.2), and only the root.
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "root");
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
}

// Nonsense lengths and counts are FDT_ERR_BADVALUE; and a writer that
// has finished is spent: a second finish is an error and leaves the
// blob as it was.
static void fdtw_badvalue_and_spent(void) {
  static const uint32_t one[] = {1};
  static const char *const list[] = {"a"};
  uint8_t buf[256], copy[256];
  struct fdt_writer w;
  int n;

  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_prop(&w, "x", "abc", -1);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADVALUE);
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_prop_cells(&w, "x", one, -1);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADVALUE);
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_prop_strings(&w, "x", list, -1);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADVALUE);

  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_node_end(&w);
  n = fdt_write_finish(&w);
  CHECK(n > 0);
  memcpy(copy, buf, sizeof(buf));
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  fdt_write_node_begin(&w, "");
  fdt_write_prop_u32(&w, "x", 1);
  fdt_write_node_end(&w);
  CHECK_EQ(fdt_write_finish(&w), FDT_ERR_BADSTRUCT);
  CHECK(memcmp(copy, buf, sizeof(buf)) == 0);
}

// ---- sharing names ---------------------------------------------------

// Property names are stored once in the strings block however many
// properties use them: ten "reg" properties share one "reg", and each
// still reads back its own value through the shared name.
static void fdtw_dedup_names(void) {
  uint8_t buf[2048];
  struct fdt_writer w;
  struct fdt fdt;
  char name[32];
  uint64_t addr, size;
  const char *strs;
  int n, i, regs = 0;

  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_node_begin(&w, "");
  fdt_write_prop_u32(&w, "#address-cells", 1);
  fdt_write_prop_u32(&w, "#size-cells", 1);
  for (i = 0; i < 10; i++) {
    uint32_t reg[2] = {0x1000 * (uint32_t)i, 0x100 + (uint32_t)i};

    snprintf(name, sizeof(name), "dev@%x", 0x1000 * i);
    fdt_write_node_begin(&w, name);
    fdt_write_prop_cells(&w, "reg", reg, 2);
    fdt_write_node_end(&w);
  }
  fdt_write_node_end(&w);
  n = fdt_write_finish(&w);
  CHECK(n > 0);
  CHECK_EQ(fdt_init(&fdt, buf, (size_t)n), 0);

  // "#address-cells\0" + "#size-cells\0" + "reg\0", nothing else.
  CHECK_EQ(fdt.strings_size, 15 + 12 + 4);
  strs = (const char *)buf + fdt.strings_off;
  for (i = 0; i < (int)fdt.strings_size; i += strlen(strs + i) + 1)
    regs += strcmp(strs + i, "reg") == 0;
  CHECK_EQ(regs, 1);

  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof(name), "/dev@%x", 0x1000 * i);
    CHECK_EQ(fdt_reg(&fdt, fdt_path(&fdt, name), 0, &addr, &size), 0);
    CHECK_EQ(addr, 0x1000 * i);
    CHECK_EQ(size, 0x100 + i);
  }
}

int main(void) {
  TEST_RUN(fdtw_header);
  TEST_RUN(fdtw_roundtrip_virt);
  TEST_RUN(fdtw_dtc_accepts);
  TEST_RUN(fdtw_tiny_bytes);
  TEST_RUN(fdtw_value_types);
  TEST_RUN(fdtw_memreserve);
  TEST_RUN(fdtw_nospace_every_size);
  TEST_RUN(fdtw_badstruct);
  TEST_RUN(fdtw_badvalue_and_spent);
  TEST_RUN(fdtw_dedup_names);
  return TEST_EXIT();
}
