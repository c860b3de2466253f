// tests/fuzz/fuzz_bundle.c: fuzz the VM bundle reader, hyp/vm/bundle.c.
//
// What it proves: the bundle is whatever QEMU was handed as -initrd, so
// the monitor must not trust it. For any bytes, bundle_init either
// refuses them or accepts them; once it accepts, bundle_find, asked for
// every name the entry table holds and for names it does not, returns
// NULL or a file that lies wholly inside the bundle (and every byte of
// it can be read: ASan, with libFuzzer's buffer exactly the input's
// size), and it finds each name at the first entry of that name.
#include <string.h>

#include "hyp/vm/bundle.h"
#include "tests/fuzz/fuzz.h"

#define ENTRY_SIZE 64           // hyp/vm/bundle.h: name[48], u64 offset, u64 size
#define NAME_SIZE  48

// The file called name must be the first entry of that name (or none).
static void check_find(const uint8_t *data, size_t size, uint32_t n, const char *name) {
  uint64_t len = 0xdead;
  const uint8_t *file = bundle_find(name, &len);
  uint32_t i;
  for (i = 0; i < n; i++)
    if (strncmp((const char *)data + 16 + i * ENTRY_SIZE, name, NAME_SIZE) == 0)
      break;
  if (file == NULL) {
    FUZZ_CHECK(i == n, "bundle_find(\"%s\") missed entry %u", name, i);
    return;
  }
  FUZZ_CHECK(i < n, "bundle_find(\"%s\") found a file with no entry", name);
  FUZZ_CHECK(file >= data && file <= data + size && len <= (uint64_t)(data + size - file),
             "bundle_find(\"%s\"): %lu bytes at offset %ld of a %zu-byte bundle", name,
             len, (long)(file - data), size);
  touch(file, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (bundle_init((uint64_t)(uintptr_t)data, size) < 0)
    return 0;
  // bundle_init checked that the count fits; read it as it did.
  uint32_t n = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 |
               (uint32_t)data[11] << 24;
  FUZZ_CHECK(size >= 16 && memcmp(data, "DISCOVB1", 8) == 0 &&
             16 + (uint64_t)n * ENTRY_SIZE <= size,
             "accepted %zu bytes with %u entries", size, n);
  for (uint32_t i = 0; i < n; i++) {
    char name[NAME_SIZE];
    memcpy(name, data + 16 + i * ENTRY_SIZE, NAME_SIZE);
    FUZZ_CHECK(memchr(name, 0, NAME_SIZE) != NULL, "entry %u: name has no NUL", i);
    check_find(data, size, n, name);
  }
  check_find(data, size, n, "config.dtb");
  check_find(data, size, n, "no-such-file.elf");
  check_find(data, size, n, "");
  return 0;
}
