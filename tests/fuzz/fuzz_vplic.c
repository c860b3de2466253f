// tests/fuzz/fuzz_vplic.c: fuzz the virtual PLIC, hyp/dev/vplic.c.
//
// What it proves: a guest drives the vPLIC with any loads and stores it
// likes, and devices raise and lower their lines in between; whatever
// the order, the PLIC keeps the rules of the PLIC spec 1.0.0 as
// hyp/dev/vplic.h states them. The input is a PLIC size, then a program of
// operations: register writes and reads (priority, pending, enable,
// threshold), claims, completions, line changes, and raw accesses at any
// offset and width. After every operation:
//   - an access the PLIC does not have (hyp/dev/vplic.c's map) returns -1 and
//     changes nothing; one it has returns 0; reads other than a claim
//     change nothing;
//   - a claim returns the pending, enabled, not-in-service source of the
//     highest priority above the context's threshold (lowest id among
//     equals), or 0 if there is none, and puts that source in service;
//   - vplic_pending(ctx) is true exactly when such a source exists;
//   - a source is never pending and in service at once; source 0 and
//     sources past VPLIC_NSOURCES have no bits; priorities and thresholds
//     stay in 0..7; a write reads back as the WARL rules say;
//   - a completion ends service only for a claimed source enabled for
//     the context, and makes it pending again if its line is still high.
#include <string.h>

#include "hyp/dev/vplic.h"
#include "tests/fuzz/fuzz.h"

#define PENDING_BASE   0x1000UL
#define ENABLE_BASE    0x2000UL
#define ENABLE_STRIDE  0x80UL
#define CONTEXT_BASE   0x200000UL
#define CONTEXT_STRIDE 0x1000UL

static bool bit(const uint32_t *w, int s) { return w[s / 32] >> (s % 32) & 1; }

// The spec's rule for "what would a claim by ctx return now", one source
// at a time.
static int best(const struct vplic *p, int ctx) {
  int src = 0;
  uint32_t prio = p->threshold[ctx];
  for (int s = 1; s < VPLIC_NSOURCES; s++)
    if (bit(p->pending, s) && bit(p->enable[ctx], s) && !bit(p->claimed, s) &&
        p->priority[s] > prio) {
      src = s;
      prio = p->priority[s];
    }
  return src;
}

// Does the PLIC have a register at off for this access? (The map at the
// top of hyp/dev/vplic.c.)
static bool exists(const struct vplic *p, uint64_t off, int width) {
  if (width != 4 || off % 4 != 0)
    return false;
  if (off < PENDING_BASE)
    return off / 4 < VPLIC_NSOURCES;
  if (off < ENABLE_BASE)
    return (off - PENDING_BASE) / 4 < VPLIC_NWORDS;
  if (off < CONTEXT_BASE)
    return (off - ENABLE_BASE) / ENABLE_STRIDE < (uint64_t)p->nctx &&
           (off - ENABLE_BASE) % ENABLE_STRIDE / 4 < VPLIC_NWORDS;
  uint64_t in = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
  return (off - CONTEXT_BASE) / CONTEXT_STRIDE < (uint64_t)p->nctx && (in == 0 || in == 4);
}

// The bits of a word that stand for sources 1..VPLIC_NSOURCES-1.
static uint32_t real_bits(int w) {
  uint32_t m = 0;
  for (int i = 0; i < 32; i++) {
    int s = 32 * w + i;
    if (s >= 1 && s < VPLIC_NSOURCES)
      m |= 1u << i;
  }
  return m;
}

// The rules that hold between any two operations.
static void check_state(const struct vplic *p, int nctx) {
  FUZZ_CHECK(p->nctx == nctx, "nctx became %d", p->nctx);
  FUZZ_CHECK(p->priority[0] == 0, "source 0 has priority %u", p->priority[0]);
  for (int s = 1; s < VPLIC_NSOURCES; s++)
    FUZZ_CHECK(p->priority[s] <= VPLIC_PRIO_MASK, "priority[%d] = %u", s, p->priority[s]);
  for (int w = 0; w < VPLIC_NWORDS; w++) {
    FUZZ_CHECK((p->pending[w] & p->claimed[w]) == 0, "word %d: pending and in service: %#x",
               w, p->pending[w] & p->claimed[w]);
    FUZZ_CHECK(((p->pending[w] | p->claimed[w] | p->level[w]) & ~real_bits(w)) == 0,
               "word %d: bits for sources that do not exist", w);
  }
  for (int c = 0; c < VPLIC_MAX_CONTEXTS; c++) {
    FUZZ_CHECK(p->threshold[c] <= VPLIC_PRIO_MASK, "threshold[%d] = %u", c, p->threshold[c]);
    for (int w = 0; w < VPLIC_NWORDS; w++)
      FUZZ_CHECK((p->enable[c][w] & ~real_bits(w)) == 0, "enable[%d][%d] = %#x", c, w,
                 p->enable[c][w]);
  }
  // Every context there is, and the nearest ones there are not.
  for (int c = -1; c <= nctx; c++) {
    bool want = c >= 0 && c < nctx && best(p, c) != 0;
    FUZZ_CHECK(vplic_pending(p, c) == want, "vplic_pending(%d) is %d, want %d", c, !want, want);
  }
}

// One read or write at off: whether it is refused, what it returns and
// how it changes the state.
static void access(struct vplic *p, uint64_t off, int width, bool write, uint32_t val) {
  struct vplic before = *p;
  bool ok = exists(p, off, width);
  int r;
  uint32_t got = 0xdeadbeef;
  if (write)
    r = vplic_write(p, off, width, val);
  else
    r = vplic_read(p, off, width, &got);
  FUZZ_CHECK(r == (ok ? 0 : -1), "%s at %#lx width %d gave %d", write ? "write" : "read",
             off, width, r);
  if (!ok) {
    FUZZ_CHECK(memcmp(&before, p, sizeof(*p)) == 0 && got == 0xdeadbeef,
               "a refused access at %#lx changed something", off);
    return;
  }
  bool claim_reg = off >= CONTEXT_BASE && (off - CONTEXT_BASE) % CONTEXT_STRIDE == 4;
  int ctx = off >= CONTEXT_BASE ? (int)((off - CONTEXT_BASE) / CONTEXT_STRIDE)
                                : (int)((off - ENABLE_BASE) / ENABLE_STRIDE);
  if (!write && !claim_reg) {
    FUZZ_CHECK(memcmp(&before, p, sizeof(*p)) == 0, "a read at %#lx changed something", off);
    return;
  }
  if (!write) {                                 // a claim
    int want = best(&before, ctx);
    FUZZ_CHECK(got == (uint32_t)want, "claim by context %d gave %u, want %d", ctx, got, want);
    if (want != 0) {
      before.pending[want / 32] &= ~(1u << want % 32);
      before.claimed[want / 32] |= 1u << want % 32;
    }
    FUZZ_CHECK(memcmp(&before, p, sizeof(*p)) == 0, "claim of %u changed more", got);
    return;
  }
  if (claim_reg) {                              // a completion
    if (val >= 1 && val < VPLIC_NSOURCES && bit(before.enable[ctx], (int)val) &&
        bit(before.claimed, (int)val)) {
      before.claimed[val / 32] &= ~(1u << val % 32);
      if (bit(before.level, (int)val))
        before.pending[val / 32] |= 1u << val % 32;
    }
    FUZZ_CHECK(memcmp(&before, p, sizeof(*p)) == 0, "completion of %u by %d went wrong",
               val, ctx);
    return;
  }
  uint32_t back = 0;
  FUZZ_CHECK(vplic_read(p, off, 4, &back) == 0, "cannot read back %#lx", off);
  uint32_t want;
  if (off < PENDING_BASE)
    want = off == 0 ? 0 : val & VPLIC_PRIO_MASK;
  else if (off < ENABLE_BASE)
    want = before.pending[(off - PENDING_BASE) / 4];    // read-only
  else if (off < CONTEXT_BASE)
    want = val & real_bits((int)((off - ENABLE_BASE) % ENABLE_STRIDE / 4));
  else
    want = val & VPLIC_PRIO_MASK;
  FUZZ_CHECK(back == want, "wrote %#x at %#lx, read back %#x, want %#x", val, off, back, want);
}

// A device line: level and pending bits as the gateway says.
static void line(struct vplic *p, int src, bool level) {
  struct vplic before = *p;
  vplic_set_level(p, src, level);
  if (src >= 1 && src < VPLIC_NSOURCES) {
    if (level) {
      before.level[src / 32] |= 1u << src % 32;
      if (!bit(before.claimed, src))
        before.pending[src / 32] |= 1u << src % 32;
    } else {
      before.level[src / 32] &= ~(1u << src % 32);
    }
  }
  FUZZ_CHECK(memcmp(&before, p, sizeof(*p)) == 0, "line %d to %d went wrong", src, level);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct vplic plic;
  struct input in = {data, size};
  int asked = (int)take(&in, 1) % (VPLIC_MAX_CONTEXTS + 3) - 1;   // -1..33
  int nctx = asked < 0 ? 0 : asked > VPLIC_MAX_CONTEXTS ? VPLIC_MAX_CONTEXTS : asked;
  vplic_init(&plic, asked);
  check_state(&plic, nctx);
  for (int ops = 0; in.left > 0 && ops < 1024; ops++) {
    int op = (int)take(&in, 1);
    // Mostly contexts and sources that exist, sometimes just past them.
    uint64_t ctx = take(&in, 1) % (VPLIC_MAX_CONTEXTS + 2);
    uint64_t src = take(&in, 1) % (VPLIC_NSOURCES + 8);
    switch (op % 9) {
    case 0: access(&plic, 4 * src, 4, true, (uint32_t)take(&in, 4)); break;
    case 1: access(&plic, ENABLE_BASE + ENABLE_STRIDE * ctx + 4 * (src % 4), 4, true,
                   (uint32_t)take(&in, 4)); break;
    case 2: access(&plic, CONTEXT_BASE + CONTEXT_STRIDE * ctx, 4, true,
                   (uint32_t)take(&in, 1)); break;
    case 3: access(&plic, CONTEXT_BASE + CONTEXT_STRIDE * ctx + 4, 4, false, 0); break;
    case 4: access(&plic, CONTEXT_BASE + CONTEXT_STRIDE * ctx + 4, 4, true,
                   op & 0x80 ? (uint32_t)take(&in, 4) : (uint32_t)src); break;
    case 5: line(&plic, (int)src - 4, op & 0x10); break;
    case 6: access(&plic, PENDING_BASE + 4 * (src % 4), 4, op & 0x10, 0); break;
    case 7: {                                   // a read of any register
      static const uint64_t base[] = {0, PENDING_BASE, ENABLE_BASE, CONTEXT_BASE};
      uint64_t k = op >> 4 & 3;
      uint64_t stride = k == 2 ? ENABLE_STRIDE : k == 3 ? CONTEXT_STRIDE : 0;
      access(&plic, base[k] + stride * ctx + 4 * (src % 4), 4, false, 0);
      break;
    }
    case 8: {                                   // anything at all
      uint64_t off = take(&in, 4) | (op & 0x80 ? take(&in, 4) << 32 : 0);
      access(&plic, off, (int)(src % 9), op & 0x10, (uint32_t)take(&in, 4));
      break;
    }
    }
    check_state(&plic, nctx);
  }
  return 0;
}
