// tests/unit/test_dt_machine.c: host tests for kernel/dt_machine.c, the
// device-tree walks the monitor, guest-os and splashos share.
//
// Usage: test_dt_machine DIR, where DIR holds the blobs QEMU itself wrote
// (tests/run.py dumps them; tests/unit/test_fdt.c lists their shapes).
// The walks must find in them what QEMU built: every hart with its NUMA
// node, every node's memory, the timebase. Then hand-made riscv,isa
// strings check the extension tests, each in a buffer of exactly its own
// length, so that a read one byte too far fails under AddressSanitizer.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/dt_machine.h"
#include "tests/unit/unit.h"

static const char *dir;
static struct fdt n1, n2, n4;   // QEMU's trees, set up by main

// Blob `name` from dir, in a malloc'd buffer of its exact size (the
// caller frees it), set up in *fdt. NULL if it cannot be read.
static uint8_t *load(const char *name, struct fdt *fdt) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc((size_t)len);
  if (fread(data, 1, (size_t)len, f) != (size_t)len || fdt_init(fdt, data, (size_t)len) < 0) {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

// virt-n2: 4 harts, 2k and 2k+1 on node k, in hart-id order or not.
static void harts_and_nodes(void) {
  struct fdt fdt = n2;
  int seen[4] = {0};
  struct dt_hart h = {.node_off = -1};
  int more, n = 0;
  while ((more = dt_next_hart(&fdt, &h)) > 0) {
    if (h.id >= 4 || seen[h.id]++)
      FAILF("hart id %llu is out of range or seen twice", (unsigned long long)h.id);
    if (h.numa != (int)h.id / 2)
      FAILF("hart %llu on node %d, want %d", (unsigned long long)h.id, h.numa,
                        (int)h.id / 2);
    if (!dt_isa_has_letter(h.isa, h.isa_len, 'h'))
      FAILF("hart %llu: riscv,isa lacks the H-extension", (unsigned long long)h.id);
    n++;
  }
  uint64_t hz = 0;
  int tb = dt_timebase(&fdt, &hz);
  CHECK_EQ(more, 0);
  CHECK_EQ(n, 4);
  CHECK_EQ(tb, 0);
  CHECK_EQ(hz, 10000000);              // QEMU virt's timebase: 10 MHz
}

// virt-n4: 256 MiB per node, back to back from 0x80000000, node k's at
// 0x80000000 + k * 256 MiB.
static void memory_per_node(void) {
  struct fdt fdt = n4;
  struct dt_walk w = DT_WALK_START;
  struct dt_range r;
  int n = 0, found[4] = {0};
  while (dt_next_memory(&fdt, &w, &r)) {
    if (r.numa < 0 || r.numa > 3 || r.size != 256ULL << 20 ||
        r.base != 0x80000000ULL + (uint64_t)r.numa * (256ULL << 20))
      FAILF("memory %llx+%llx on node %d is not QEMU's layout",
                        (unsigned long long)r.base, (unsigned long long)r.size, r.numa);
    found[r.numa]++;
    n++;
  }
  CHECK_EQ(n, 4);
  for (int i = 0; i < 4; i++)
    CHECK_EQ(found[i], 1);
}

// A walk that has ended stays ended; QEMU's own trees reserve nothing
// (OpenSBI adds its /reserved-memory later, at boot).
static void reserved_walk_ends(void) {
  struct fdt fdt = n1;
  struct dt_walk w = DT_WALK_START;
  struct dt_range r;
  int n = 0;
  while (dt_next_reserved(&fdt, &w, &r) && n < 100)
    n++;
  int again = dt_next_reserved(&fdt, &w, &r);
  CHECK(n < 100);
  CHECK_EQ(again, 0);
}

// dt_isa_has_ext(s, len of s without its NUL, ext), s in an exact buffer.
static int has_ext(const char *s, const char *ext) {
  size_t len = strlen(s);
  char *copy = malloc(len ? len : 1);
  memcpy(copy, s, len);
  int r = dt_isa_has_ext(copy, (int)len, ext);
  free(copy);
  return r;
}

// Extension names match whole, after an underscore, up to the property's
// end even when it has no NUL there.
static void isa_extensions(void) {
  CHECK(has_ext("rv64imafdch_zicsr_sstc", "sstc"));
  CHECK(has_ext("rv64imafdch_sstc_zicsr", "sstc"));
  CHECK(!has_ext("rv64imafdch_sstcx", "sstc"));
  CHECK(!has_ext("rv64imafdch_zsstc", "sstc"));
  CHECK(!has_ext("rv64imafdch", "sstc"));
  CHECK(!has_ext("rv64imafdch_", "sstc"));
  CHECK(!has_ext("", "sstc"));
  CHECK(dt_isa_has_letter("rv64imafdch_zicsr", 17, 'h'));
  CHECK(!dt_isa_has_letter("rv64imafdc_zihpm", 16, 'h'));   // the h of zihpm is no H
  CHECK(!dt_isa_has_letter(NULL, 0, 'h'));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR-WITH-QEMU-DTBS\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  uint8_t *b1 = load("virt-n1.dtb", &n1), *b2 = load("virt-n2.dtb", &n2),
          *b4 = load("virt-n4.dtb", &n4);
  if (b1 == NULL || b2 == NULL || b4 == NULL) {
    printf("FAIL dt_machine: cannot read QEMU's trees in %s\n", dir);
    return 1;
  }
  TEST_RUN(harts_and_nodes);
  TEST_RUN(memory_per_node);
  TEST_RUN(reserved_walk_ends);
  TEST_RUN(isa_extensions);
  free(b1), free(b2), free(b4);
  return TEST_EXIT();
}
