// tests/fuzz/fuzz_vchain.c: fuzz the walk of a virtio descriptor chain,
// hyp/dev/virtq_chain.c, which the VMs' virtual disks use on every request.
//
// What it proves: a guest's driver writes the descriptor table, so it
// can be anything: descriptor numbers past the queue, loops, indirect
// flags, readable after writable, buffers anywhere, lengths that wrap.
// The input is a small guest RAM (its size, and its first bytes; the rest
// is zeros), a queue size, a table address and a head, and three stream
// copies. Against a fake guest memory that, like vm_copy_from_guest,
// refuses any byte outside RAM:
//   - chain_read, given the device's copy of the table (taken from RAM
//     at the table address, as the device takes it from the pages it
//     pinned; a table outside RAM is refused before, when the queue is
//     made ready), accepts exactly the chains the rules of virtio 1.2
//     2.7.4 and 2.7.5 (as hyp/dev/virtq_chain.h lists them) allow, checked
//     by a walk written here, and hands back those descriptors in order,
//     with the out and in stream lengths they add up to; it never keeps
//     more than CHAIN_MAX;
//   - chain_in_ram is true exactly when every non-empty buffer lies in RAM;
//   - chain_copy of `n` bytes from offset `off` of the out or in stream
//     succeeds exactly when every one of those bytes is in the stream and
//     in RAM, and then moves the right bytes to the right places.
#include <stdlib.h>
#include <string.h>

#include "hyp/mem/pmap.h"
#include "hyp/dev/virtio.h"
#include "hyp/dev/virtq_chain.h"
#include "hyp/vm/vm.h"
#include "tests/fuzz/fuzz.h"

#define RAM_BASE 0x80000000UL
#define RAM_MAX  (16 * 1024)

static struct vm vm;            // only vm.pmap's RAM range is used
static uint8_t *ram;            // the guest's RAM: exactly ram_size bytes
static uint64_t ram_size;

// ---- The fake guest memory, with hyp/vm/vm.c's and hyp/mem/pmap.c's rules ----

bool pmap_is_ram(struct pmap *pm, uint64_t gpa) {
  return gpa >= pm->ram_base && gpa - pm->ram_base < pm->ram_size;
}

static bool in_ram(uint64_t gpa, uint64_t len) {
  return gpa >= RAM_BASE && gpa - RAM_BASE <= ram_size && len <= ram_size - (gpa - RAM_BASE);
}

int vm_copy_from_guest(struct vm *v, void *dst, uint64_t gpa, uint64_t len) {
  if (!in_ram(gpa, len))
    return -1;
  memcpy(dst, ram + (gpa - RAM_BASE), len);
  return 0;
}

int vm_copy_to_guest(struct vm *v, uint64_t gpa, const void *src, uint64_t len) {
  if (!in_ram(gpa, len))
    return -1;
  memcpy(ram + (gpa - RAM_BASE), src, len);
  return 0;
}

// ---- The rules, written out once more ----

// Walk the chain as 2.7.4/2.7.5 say, into want; 0 or -1 as chain_read.
static int reference_walk(const struct virtq_desc *table, uint32_t queue_num,
                          uint16_t head, struct chain *want) {
  memset(want, 0, sizeof(*want));
  if (queue_num > CHAIN_MAX)
    return -1;
  bool seen_write = false;
  uint32_t i = head;
  for (int n = 0;; n++) {
    if (i >= queue_num || n >= (int)queue_num)
      return -1;                        // past the table, or a loop
    struct virtq_desc d = table[i];
    bool w = d.flags & VIRTQ_DESC_F_WRITE;
    if ((d.flags & VIRTQ_DESC_F_INDIRECT) || (seen_write && !w))
      return -1;
    seen_write |= w;
    want->seg[want->n++] = (struct seg){d.addr, d.len, w};
    *(w ? &want->in_len : &want->out_len) += d.len;
    if (!(d.flags & VIRTQ_DESC_F_NEXT))
      return want->in_len > UINT32_MAX ? -1 : 0;
    i = d.next;
  }
}

// Where byte k of the in (write) or out stream lives: its gpa, or false
// if the stream is shorter.
static bool stream_byte(const struct chain *c, bool write, uint64_t k, uint64_t *gpa) {
  for (int i = 0; i < c->n; i++) {
    if (c->seg[i].write != write)
      continue;
    if (k < c->seg[i].len) {
      *gpa = c->seg[i].addr + k;
      return true;
    }
    k -= c->seg[i].len;
  }
  return false;
}

static void check_copy(const struct chain *c, bool to_guest, uint64_t off, uint64_t n) {
  static uint8_t buf[1024], old[RAM_MAX], want[RAM_MAX];
  bool ok = true;
  for (uint64_t k = 0; k < n && ok; k++) {
    uint64_t gpa;
    ok = stream_byte(c, to_guest, off + k, &gpa) && in_ram(gpa, 1);
  }
  for (uint64_t k = 0; k < n; k++)
    buf[k] = (uint8_t)(k * 7 + 1);
  memcpy(old, ram, ram_size);
  int r = chain_copy(&vm, c, to_guest, off, buf, n);
  FUZZ_CHECK(r == (ok ? 0 : -1), "chain_copy %s of %lu bytes at %lu gave %d",
             to_guest ? "to the guest" : "from the guest", n, off, r);
  if (r < 0)
    return;
  memcpy(want, old, ram_size);
  for (uint64_t k = 0; k < n; k++) {
    uint64_t gpa;
    stream_byte(c, to_guest, off + k, &gpa);
    if (to_guest)
      want[gpa - RAM_BASE] = (uint8_t)(k * 7 + 1);
    else
      FUZZ_CHECK(buf[k] == ram[gpa - RAM_BASE], "stream byte %lu is wrong", off + k);
  }
  FUZZ_CHECK(memcmp(want, ram, ram_size) == 0, "chain_copy changed the wrong bytes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct input in = {data, size};
  ram_size = take(&in, 2) % RAM_MAX + 1;
  uint32_t queue_num = (uint32_t)take(&in, 1);
  if (queue_num & 0x80)
    queue_num = (uint32_t)take(&in, 4);         // anything at all
  else
    queue_num %= CHAIN_MAX + 2;                 // 0..CHAIN_MAX + 1
  uint16_t head = (uint16_t)take(&in, 2);
  uint64_t desc = take(&in, 2);
  desc = desc & 0x8000 ? take(&in, 8) : RAM_BASE + (desc & 0x7fff);
  uint64_t off[3], len[3];
  for (int i = 0; i < 3; i++) {
    off[i] = take(&in, 2);
    len[i] = take(&in, 2) % 1025;
  }
  ram = calloc(1, ram_size);
  memcpy(ram, in.p, in.left < ram_size ? in.left : ram_size);
  vm.pmap.ram_base = RAM_BASE;
  vm.pmap.ram_size = ram_size;

  // The device's copy of the table: queue_num entries, or none at all
  // past CHAIN_MAX (chain_read refuses such a queue without a look).
  struct virtq_desc table[CHAIN_MAX];
  uint64_t entries = queue_num <= CHAIN_MAX ? queue_num : 0;
  if (!in_ram(desc, sizeof(table[0]) * entries)) {
    free(ram);
    return 0;                                   // refused when made ready
  }
  memcpy(table, ram + (desc - RAM_BASE), sizeof(table[0]) * entries);
  struct chain c, want;
  int got = chain_read(table, queue_num, head, &c);
  int rules = reference_walk(table, queue_num, head, &want);
  FUZZ_CHECK(got == rules, "chain_read gave %d, the rules say %d", got, rules);
  if (got == 0) {
    FUZZ_CHECK(c.n == want.n && c.n >= 1 && c.n <= CHAIN_MAX && c.out_len == want.out_len &&
               c.in_len == want.in_len, "chain of %d (out %lu, in %lu), want %d (%lu, %lu)",
               c.n, c.out_len, c.in_len, want.n, want.out_len, want.in_len);
    bool all_in = true;
    for (int i = 0; i < c.n; i++) {
      FUZZ_CHECK(c.seg[i].addr == want.seg[i].addr && c.seg[i].len == want.seg[i].len &&
                 c.seg[i].write == want.seg[i].write, "segment %d differs", i);
      all_in &= c.seg[i].len == 0 || in_ram(c.seg[i].addr, c.seg[i].len);
    }
    FUZZ_CHECK(chain_in_ram(&vm, &c) == all_in, "chain_in_ram says %d", !all_in);
    check_copy(&c, false, off[0], len[0]);
    check_copy(&c, true, off[1], len[1]);
    if (c.in_len > 0)                           // the status byte
      check_copy(&c, true, c.in_len - 1, 1);
    check_copy(&c, false, off[2], len[2]);
  }
  free(ram);
  return 0;
}
