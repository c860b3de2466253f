// hyp/vm/bundle.c: read the VM bundle (see hyp/vm/bundle.h).
#include "hyp/vm/bundle.h"
#include "kernel/printf.h"
#include "kernel/string.h"

#define BUNDLE_MAGIC "DISCOVB1"
#define ENTRY_SIZE   64
#define NAME_SIZE    48

static const uint8_t *bundle;
static uint64_t bundle_size;
static uint32_t nentries;

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

int bundle_init(uint64_t base, uint64_t size) {
  const uint8_t *b = (const uint8_t *)base;
  if (size < 16 || memcmp(b, BUNDLE_MAGIC, 8) != 0) {
    printf("bundle: the initrd at %p is not a VM bundle (no magic)\n",
           (void *)base);
    return -1;
  }
  uint32_t n = (uint32_t)(le64(b + 8) & 0xffffffff);
  if (n > (size - 16) / ENTRY_SIZE) {
    printf("bundle: %u entries do not fit in %lu bytes\n", n, size);
    return -1;
  }
  // Every entry must name a file inside the bundle, with a NUL-terminated
  // name: check them all now, so bundle_find need not.
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *e = b + 16 + i * ENTRY_SIZE;
    uint64_t off = le64(e + NAME_SIZE), len = le64(e + NAME_SIZE + 8);
    if (strnlen((const char *)e, NAME_SIZE) == NAME_SIZE || off > size ||
        len > size - off) {
      printf("bundle: entry %u is broken\n", i);
      return -1;
    }
  }
  bundle = b;
  bundle_size = size;
  nentries = n;
  return 0;
}

const void *bundle_find(const char *name, uint64_t *size) {
  for (uint32_t i = 0; bundle != NULL && i < nentries; i++) {
    const uint8_t *e = bundle + 16 + i * ENTRY_SIZE;
    if (strcmp((const char *)e, name) == 0) {
      *size = le64(e + NAME_SIZE + 8);
      return bundle + le64(e + NAME_SIZE);
    }
  }
  return NULL;
}
