// tests/unit/test_vmid.c: the VMID allocator (hyp/mem/vmid.c, lab 2).
//
// A VMID handed out twice in one generation lets two VMs use each other's
// cached translations; a generation that does not move on when VMIDs run
// out does the same, silently, only when enough VMs have run. Neither
// shows in a guest on QEMU 7.2 (its TLB ignores VMIDs), so the allocator's
// rules are checked here, one by one, with tiny VMID spaces.
#include <stdlib.h>
#include "hyp/mem/vmid.h"
#include "tests/unit/unit.h"

static struct vmid_space s;

// The first VMIDs are 1, 2, 3...; 0 is never handed out.
static void first_vmids_in_order(void) {
  vmid_space_init(&s, 4);
  struct vmid a = {0}, b = {0}, c = {0};
  CHECK(vmid_update(&s, &a));
  CHECK(vmid_update(&s, &b));
  CHECK(vmid_update(&s, &c));
  CHECK_EQ(a.id, 1);
  CHECK_EQ(b.id, 2);
  CHECK_EQ(c.id, 3);
  CHECK_EQ(a.gen, 1);
  CHECK_EQ(s.gens, 0);
}

// A VMID of the current generation stays: no change, no new generation.
static void valid_vmid_kept(void) {
  vmid_space_init(&s, 2);
  struct vmid a = {0};
  CHECK(vmid_update(&s, &a));
  for (int i = 0; i < 10; i++)
    CHECK(!vmid_update(&s, &a));
  CHECK_EQ(a.id, 1);
  CHECK_EQ(s.gen, 1);
}

// Two bits: VMIDs 1..3, then the fourth VM starts generation 2 and gets
// VMID 1 again; the older holders' VMIDs are then invalid, and each takes
// a new one (in order) when it next asks.
static void rollover_two_bits(void) {
  vmid_space_init(&s, 2);
  struct vmid v[4] = {{0}};
  for (int i = 0; i < 3; i++)
    CHECK(vmid_update(&s, &v[i]));
  CHECK_EQ(v[2].id, 3);
  CHECK(vmid_update(&s, &v[3]));
  CHECK_EQ(v[3].id, 1);
  CHECK_EQ(v[3].gen, 2);
  CHECK_EQ(s.gens, 1);
  CHECK(vmid_update(&s, &v[0]));          // old generation: a new VMID
  CHECK_EQ(v[0].id, 2);
  CHECK_EQ(v[0].gen, 2);
  CHECK(!vmid_update(&s, &v[3]));         // current: kept
}

// One bit: a single VMID per generation, so every other VM's turn is a
// new generation.
static void rollover_one_bit(void) {
  vmid_space_init(&s, 1);
  struct vmid a = {0}, b = {0};
  for (int i = 0; i < 5; i++) {
    CHECK(vmid_update(&s, &a));
    CHECK_EQ(a.id, 1);
    CHECK(vmid_update(&s, &b));
    CHECK_EQ(b.id, 1);
    CHECK(b.gen == a.gen + 1);
  }
  CHECK_EQ(s.gens, 9);
}

// No VMID bits: everyone has VMID 0, nothing ever changes (the monitor
// flushes on every switch between VMs instead).
static void no_vmids(void) {
  vmid_space_init(&s, 0);
  struct vmid a = {0}, b = {0};
  CHECK(!vmid_update(&s, &a));
  CHECK(!vmid_update(&s, &b));
  CHECK_EQ(a.id, 0);
  CHECK_EQ(b.id, 0);
  CHECK_EQ(s.gens, 0);
}

// The full 14 bits: 16383 VMIDs fit in one generation, the next one
// starts generation 2.
static void full_width(void) {
  vmid_space_init(&s, VMID_MAX_BITS);
  struct vmid v = {0};
  for (int i = 1; i < (1 << VMID_MAX_BITS); i++) {
    v.gen = 0;
    CHECK(vmid_update(&s, &v));
    CHECK_EQ(v.id, i);
  }
  CHECK_EQ(s.gens, 0);
  v.gen = 0;
  CHECK(vmid_update(&s, &v));
  CHECK_EQ(v.id, 1);
  CHECK_EQ(s.gens, 1);
}

// Random VMs asking in random order: within one generation no two valid
// holders ever share a VMID, and no VMID is 0 or out of range.
static void random_no_duplicates(void) {
  srand(12);
  for (int bits = 1; bits <= 4; bits++) {
    vmid_space_init(&s, bits);
    struct vmid v[20] = {{0}};
    for (int step = 0; step < 5000; step++) {
      vmid_update(&s, &v[rand() % 20]);
      for (int i = 0; i < 20; i++) {
        if (v[i].gen != s.gen)
          continue;
        CHECK(v[i].id >= 1 && v[i].id < (1 << bits));
        for (int j = i + 1; j < 20; j++)
          if (v[j].gen == s.gen && v[j].id == v[i].id)
            FAILF("bits=%d step %d: VMs %d and %d share VMID %d", bits, step, i,
                  j, v[i].id);
      }
    }
  }
}

int main(void) {
  TEST_RUN(first_vmids_in_order);
  TEST_RUN(valid_vmid_kept);
  TEST_RUN(rollover_two_bits);
  TEST_RUN(rollover_one_bit);
  TEST_RUN(no_vmids);
  TEST_RUN(full_width);
  TEST_RUN(random_no_duplicates);
  return TEST_EXIT();
}
