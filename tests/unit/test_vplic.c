// tests/unit/test_vplic.c: the virtual PLIC's registers and rules
// (hyp/dev/vplic.c).
//
// A guest's device driver talks to its disk and console through the PLIC:
// if a claim returns the wrong source, a source is delivered twice, or a
// completion is lost, the guest hangs or drops interrupts long after the
// cause, and nobody can tell why. Each case drives the PLIC as a guest
// would, through 32-bit loads and stores at the spec's offsets, plus the
// device lines, and checks one rule of the RISC-V PLIC spec.
#include <stdlib.h>
#include "hyp/dev/vplic.h"
#include "tests/unit/unit.h"

// Offsets from the PLIC base (the spec's "Memory Map").
#define PRIO(s)    ((uint64_t)4 * (s))
#define PEND(w)    (0x1000 + (uint64_t)4 * (w))
#define EN(c, w)   (0x2000 + (uint64_t)0x80 * (c) + (uint64_t)4 * (w))
#define THR(c)     (0x200000 + (uint64_t)0x1000 * (c))
#define CLAIM(c)   (THR(c) + 4)

static struct vplic p;
static int mmio_errors;      // accesses the helpers made that returned -1

// Fresh PLIC with n contexts.
static void setup(int n) {
  vplic_init(&p, n);
  mmio_errors = 0;
}

// A 32-bit load / store that the test expects to succeed; a failure is
// counted in mmio_errors, which the cases check.
static uint32_t rd(uint64_t off) {
  uint32_t v = 0;
  if (vplic_read(&p, off, 4, &v) != 0)
    mmio_errors++;
  return v;
}

static void wr(uint64_t off, uint32_t v) {
  if (vplic_write(&p, off, 4, v) != 0)
    mmio_errors++;
}

// Enable source s for context c (read-modify-write, as a driver does).
static void enable(int c, int s) {
  wr(EN(c, s / 32), rd(EN(c, s / 32)) | 1u << (s % 32));
}

static bool is_pending(int s) {
  return (rd(PEND(s / 32)) >> (s % 32)) & 1;
}

// Source s pending at priority prio, enabled for context c.
static void ready(int c, int s, uint32_t prio) {
  wr(PRIO(s), prio);
  enable(c, s);
  vplic_set_level(&p, s, true);
}

// Priorities at or below a context's threshold are masked, priority 0
// never interrupts ("Priority Thresholds", "Interrupt Priorities").
static void priority_threshold_filtering(void) {
  setup(2);
  ready(0, 5, 3);
  wr(THR(0), 3);
  CHECK(!vplic_pending(&p, 0));
  CHECK_EQ(rd(CLAIM(0)), 0);
  CHECK(is_pending(5));                   // a failed claim takes nothing
  wr(THR(0), 2);
  CHECK(vplic_pending(&p, 0));
  CHECK_EQ(rd(CLAIM(0)), 5);

  ready(0, 6, 0);                         // priority 0, threshold 0
  wr(THR(0), 0);
  CHECK(!vplic_pending(&p, 0));
  CHECK_EQ(rd(CLAIM(0)), 0);
  CHECK_EQ(mmio_errors, 0);
}

// Claims come in order of priority, and among equal priorities the lower
// source id first ("Interrupt Identifiers (IDs)").
static void claim_order(void) {
  setup(2);
  ready(1, 10, 2);
  ready(1, 40, 5);
  ready(1, 3, 1);
  ready(1, 7, 5);
  ready(1, 95, 7);
  CHECK_EQ(rd(CLAIM(1)), 95);
  CHECK_EQ(rd(CLAIM(1)), 7);
  CHECK_EQ(rd(CLAIM(1)), 40);
  CHECK_EQ(rd(CLAIM(1)), 10);
  CHECK_EQ(rd(CLAIM(1)), 3);
  CHECK_EQ(rd(CLAIM(1)), 0);
  CHECK(!vplic_pending(&p, 1));
  CHECK_EQ(mmio_errors, 0);
}

// A claim clears the source's pending bit and only that one.
static void claim_clears_pending(void) {
  setup(2);
  ready(1, 33, 4);
  ready(1, 34, 1);
  CHECK_EQ(rd(PEND(1)), (1u << 1) | (1u << 2));
  CHECK_EQ(rd(CLAIM(1)), 33);
  CHECK_EQ(rd(PEND(1)), 1u << 2);
  CHECK_EQ(rd(CLAIM(1)), 34);
  CHECK_EQ(rd(PEND(1)), 0);
  CHECK_EQ(mmio_errors, 0);
}

// The gateway ("Interrupt Gateways"): a source in service is not
// delivered again until completed, even if its line drops and rises; on
// completion a line still high makes a new request at once, a low one
// does not. A request is not taken back when the line drops before the
// claim.
static void in_service_until_complete(void) {
  setup(2);
  ready(1, 9, 1);
  CHECK_EQ(rd(CLAIM(1)), 9);
  vplic_set_level(&p, 9, false);
  vplic_set_level(&p, 9, true);           // raised again while in service
  CHECK(!is_pending(9));
  CHECK(!vplic_pending(&p, 1));
  CHECK_EQ(rd(CLAIM(1)), 0);

  wr(CLAIM(1), 9);                        // complete, line still high
  CHECK(is_pending(9));
  CHECK(vplic_pending(&p, 1));
  CHECK_EQ(rd(CLAIM(1)), 9);

  vplic_set_level(&p, 9, false);
  wr(CLAIM(1), 9);                        // complete, line low
  CHECK(!is_pending(9));
  CHECK(!vplic_pending(&p, 1));

  vplic_set_level(&p, 9, true);           // a short pulse, before any claim
  vplic_set_level(&p, 9, false);
  CHECK(is_pending(9));                   // stays: the gateway can't retract
  CHECK_EQ(rd(CLAIM(1)), 9);
  CHECK_EQ(mmio_errors, 0);
}

// "Interrupt Completion": a completion for a source not enabled for the
// context, or not in service, or that does not exist, is ignored. One
// from another context that has the source enabled is accepted: the PLIC
// does not check who claimed.
static void complete_ignored_unless_enabled_and_claimed(void) {
  setup(4);
  ready(1, 20, 2);
  CHECK_EQ(rd(CLAIM(1)), 20);
  wr(CLAIM(3), 20);                       // context 3 has 20 disabled
  vplic_set_level(&p, 20, true);
  CHECK(!is_pending(20));                 // so 20 is still in service

  ready(1, 21, 1);
  wr(CLAIM(1), 21);                       // 21 is pending, not claimed
  CHECK(is_pending(21));
  wr(CLAIM(1), 0);
  wr(CLAIM(1), 96);
  wr(CLAIM(1), 0xffffffffu);
  CHECK(!is_pending(20));
  CHECK_EQ(rd(CLAIM(1)), 21);             // 21 was not completed away

  enable(3, 20);
  wr(CLAIM(3), 20);                       // now it counts
  CHECK(is_pending(20));                  // line high: a new request
  CHECK_EQ(mmio_errors, 0);
}

// Enables belong to each context: a source enabled in context 1 only is
// seen and claimed there, never in context 0.
static void per_context_enables(void) {
  setup(2);
  wr(PRIO(12), 3);
  enable(1, 12);
  vplic_set_level(&p, 12, true);
  CHECK_EQ(rd(EN(0, 0)), 0);
  CHECK_EQ(rd(EN(1, 0)), 1u << 12);
  CHECK(!vplic_pending(&p, 0));
  CHECK(vplic_pending(&p, 1));
  CHECK_EQ(rd(CLAIM(0)), 0);
  CHECK(is_pending(12));
  CHECK_EQ(rd(CLAIM(1)), 12);
  CHECK_EQ(mmio_errors, 0);
}

// Source 0 does not exist: its priority reads 0 and ignores writes, its
// enable bit is hardwired to 0, its line does nothing; lines beyond the
// last source are ignored; contexts that do not exist have nothing.
static void source_zero_and_out_of_range(void) {
  setup(2);
  wr(PRIO(0), 7);
  CHECK_EQ(rd(PRIO(0)), 0);
  wr(EN(0, 0), 0xffffffffu);
  CHECK_EQ(rd(EN(0, 0)), 0xfffffffeu);
  vplic_set_level(&p, 0, true);
  vplic_set_level(&p, -1, true);
  vplic_set_level(&p, VPLIC_NSOURCES, true);
  vplic_set_level(&p, 1 << 30, true);
  for (int w = 0; w < VPLIC_NWORDS; w++)
    CHECK_EQ(rd(PEND(w)), 0);
  CHECK_EQ(rd(CLAIM(0)), 0);
  CHECK(!vplic_pending(&p, -1));
  CHECK(!vplic_pending(&p, 2));
  CHECK(!vplic_pending(&p, 1000));
  vplic_init(&p, 1000);                   // clamped
  CHECK_EQ(p.nctx, VPLIC_MAX_CONTEXTS);
  CHECK_EQ(mmio_errors, 0);
}

// Priorities and thresholds keep 3 bits (WARL fields; QEMU virt has 8
// levels): writing all ones reads back 7.
static void priority_writes_masked(void) {
  setup(2);
  wr(PRIO(1), 0xffffffffu);
  CHECK_EQ(rd(PRIO(1)), 7);
  wr(PRIO(95), 9);
  CHECK_EQ(rd(PRIO(95)), 1);
  wr(THR(1), 0xffffffffu);
  CHECK_EQ(rd(THR(1)), 7);
  wr(THR(1), 8);
  CHECK_EQ(rd(THR(1)), 0);
  CHECK_EQ(mmio_errors, 0);
}

// The pending bits are read-only: a store is accepted and changes
// nothing; only a claim clears them ("Interrupt Pending Bits").
static void pending_read_only(void) {
  setup(2);
  wr(PEND(0), 0xffffffffu);
  CHECK_EQ(rd(PEND(0)), 0);
  ready(0, 2, 1);
  wr(PEND(0), 0);
  CHECK_EQ(rd(PEND(0)), 1u << 2);
  CHECK_EQ(mmio_errors, 0);
}

// Anything but an aligned 32-bit access to a register we have is an
// error: -1, no state change, *value not written. Covers widths, holes
// in the map, sources past 95 and contexts past nctx, and offsets too
// big for any narrowing arithmetic.
static void bad_accesses_rejected(void) {
  setup(4);
  ready(1, 5, 3);
  ready(3, 64, 2);
  wr(THR(3), 1);
  struct vplic before = p;

  static const struct { uint64_t off; int width; } bad[] = {
    {PRIO(5), 1}, {PRIO(5), 2}, {PRIO(5), 8}, {PRIO(5), 0}, {PRIO(5), -4},
    {CLAIM(1), 8}, {PRIO(5) + 1, 4}, {PRIO(5) + 2, 4}, {CLAIM(1) + 2, 4},
    {PRIO(96), 4}, {PRIO(1023), 4},                     // no such source
    {PEND(3), 4}, {PEND(31), 4}, {0x1ffc, 4},           // no such word
    {EN(0, 3), 4}, {EN(1, 31), 4},
    {EN(4, 0), 4}, {EN(VPLIC_MAX_CONTEXTS, 0), 4},      // ctx >= nctx
    {EN(15871, 31), 4}, {0x1ffffc, 4},
    {THR(4), 4}, {CLAIM(4), 4}, {THR(15871), 4},
    {THR(0) + 8, 4}, {THR(1) + 0xffc, 4},               // rest of the page
    {0x4000000, 4}, {0x0fffffffffff0000ULL, 4},
    {0xfffffffffffffffcULL, 4}, {0x8000000000000004ULL, 4},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint32_t v = 0x5a5a5a5a;
    int width = bad[i].width;
    if (vplic_read(&p, bad[i].off, width, &v) != -1)
      FAILF("read at %#llx width %d accepted",
            (unsigned long long)bad[i].off, width);
    CHECK_EQ(v, 0x5a5a5a5a);
    if (vplic_write(&p, bad[i].off, width, 5) != -1)
      FAILF("write at %#llx width %d accepted",
            (unsigned long long)bad[i].off, width);
    if (vplic_write(&p, bad[i].off, width, 0xffffffffu) != -1)
      FAILF("write of ones at %#llx accepted",
            (unsigned long long)bad[i].off);
    if (memcmp(&before, &p, sizeof(p)) != 0)
      FAILF("access at %#llx width %d changed the state",
            (unsigned long long)bad[i].off, width);
  }
  CHECK_EQ(rd(CLAIM(1)), 5);              // still there to be claimed
  CHECK_EQ(rd(CLAIM(3)), 64);
  CHECK_EQ(mmio_errors, 0);
}

// A small random number generator (xorshift), seeded, so a failure
// happens again on the next run.
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 32) % n;
}

// What a claim by context c should return, worked out from the registers
// alone, read through MMIO: the best pending, enabled source above the
// threshold, ties to the lower id. prio[] and pend[] are the priority and
// pending registers, read by the caller once for all contexts. (A source
// in service is never pending; the caller checks that invariant.)
static int expected_claim(int c, const uint32_t *prio, const uint32_t *pend) {
  int best = 0;
  uint32_t best_prio = rd(THR(c));
  uint32_t en[VPLIC_NWORDS];
  for (int w = 0; w < VPLIC_NWORDS; w++)
    en[w] = rd(EN(c, w));
  for (int s = 1; s < VPLIC_NSOURCES; s++) {
    uint32_t ready = pend[s / 32] & en[s / 32];
    if ((ready >> (s % 32)) & 1 && prio[s] > best_prio) {
      best = s;
      best_prio = prio[s];
    }
  }
  return best;
}

// vplic_pending(c), which becomes the guest's VSEIP, must be true exactly
// when a claim would return a source, and the claim must return the one
// the registers say. Checked for every context after every step of many
// random runs of priority, enable, threshold, line, claim and complete
// operations; the claim is made on a copy, so the run goes on unchanged.
static void random_pending_matches_claim(void) {
  int with = 0, without = 0;
  for (int run = 0; run < 200; run++) {
    setup(1 + (int)rnd(VPLIC_MAX_CONTEXTS));
    // A few sources at a time, so they meet often.
    int base = 1 + (int)rnd(VPLIC_NSOURCES - 8);
    for (int step = 0; step < 120; step++) {
      int s = base + (int)rnd(8);
      int c = (int)rnd((uint32_t)p.nctx);
      switch (rnd(7)) {
      case 0: wr(PRIO(s), rnd(8)); break;
      case 1: wr(EN(c, s / 32), rd(EN(c, s / 32)) ^ 1u << (s % 32)); break;
      case 2: wr(THR(c), rnd(3) ? rnd(3) : rnd(8)); break;
      case 3: vplic_set_level(&p, s, rnd(3) != 0); break;
      case 4: rd(CLAIM(c)); break;
      case 5: wr(CLAIM(c), (uint32_t)s); break;
      case 6: wr(CLAIM(c), rnd(VPLIC_NSOURCES + 2)); break;
      }
      for (int w = 0; w < VPLIC_NWORDS; w++)
        if (p.pending[w] & p.claimed[w])
          FAILF("run %d step %d: word %d pending and in service: %#x",
                run, step, w, p.pending[w] & p.claimed[w]);
      uint32_t prio[VPLIC_NSOURCES], pend[VPLIC_NWORDS];
      for (int i = 0; i < VPLIC_NSOURCES; i++)
        prio[i] = rd(PRIO(i));
      for (int w = 0; w < VPLIC_NWORDS; w++)
        pend[w] = rd(PEND(w));
      for (int cc = 0; cc < p.nctx; cc++) {
        int want = expected_claim(cc, prio, pend);
        bool says = vplic_pending(&p, cc);
        struct vplic copy = p;
        uint32_t got = 0;
        CHECK_EQ(vplic_read(&copy, CLAIM(cc), 4, &got), 0);
        if (says != (want != 0) || got != (uint32_t)want)
          FAILF("run %d step %d ctx %d: vplic_pending %d, claim %u, "
                "want claim %d", run, step, cc, says, got, want);
        if (want)
          with++;
        else
          without++;
      }
    }
  }
  CHECK_EQ(mmio_errors, 0);
  CHECK(with > 5000);                     // both outcomes were exercised
  CHECK(without > 5000);
}

int main(void) {
  TEST_RUN(priority_threshold_filtering);
  TEST_RUN(claim_order);
  TEST_RUN(claim_clears_pending);
  TEST_RUN(in_service_until_complete);
  TEST_RUN(complete_ignored_unless_enabled_and_claimed);
  TEST_RUN(per_context_enables);
  TEST_RUN(source_zero_and_out_of_range);
  TEST_RUN(priority_writes_masked);
  TEST_RUN(pending_read_only);
  TEST_RUN(bad_accesses_rejected);
  TEST_RUN(random_pending_matches_claim);
  return TEST_EXIT();
}
