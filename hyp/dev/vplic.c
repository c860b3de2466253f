// hyp/dev/vplic.c: the registers and rules of a virtual PLIC.
//
// "The spec" below is the RISC-V Platform-Level Interrupt Controller
// Specification 1.0.0 (github.com/riscv/riscv-plic-spec); sections are
// named by their titles. Its "Memory Map" chapter fixes the offsets,
// which every PLIC must keep even when it has fewer sources or contexts:
//
//   offset from base         register (each 32 bits)        which exist here
//   0x000000                 priority of source 0           always 0
//   0x000000 + 4*s           priority of source s           s < VPLIC_NSOURCES
//   0x001000 + 4*w           pending, sources 32w..32w+31   w < VPLIC_NWORDS
//   0x002000 + 0x80*c + 4*w  enable bits of context c       c < nctx, same w
//   0x200000 + 0x1000*c      priority threshold of c        c < nctx
//   0x200004 + 0x1000*c      claim (load) / complete (store)
//
// Everything else (the rest of each context's 4 KiB page, the words for
// sources 96..1023, contexts we do not have) is an error: vplic_read and
// vplic_write return -1 and the monitor stops the guest with a report.
// A real PLIC would read 0 there; a guest that goes there is broken, and
// a student learns more from a report than from a silent 0.
//
// A pending or enable word packs one bit per source ("Interrupt Pending
// Bits", "Interrupt Enables"):
//
//      31      30                         1       0
//   +-------+-------+--------//--------+-------+-------+
//   |32w+31 |32w+30 |       ...        | 32w+1 |  32w  |   word w
//   +-------+-------+--------//--------+-------+-------+
//   source 32w+i is bit i; bit 0 of word 0 (source 0) is always 0
//
// The gateway. The spec ("Interrupt Gateways") puts a gateway between
// each device line and the PLIC core, which lets at most one request per
// source be outstanding. Our lines are level-triggered, so our gateway is:
//   - line high and source not in service: its pending bit is set (again
//     and again as the line stays high; it is one bit, so once is enough);
//   - line high while in service: nothing, the request waits;
//   - completion: the source leaves service, and if its line is still
//     high, its pending bit is set at once (a new request);
//   - line low: nothing; a request already pending is not taken back (the
//     spec: "The gateway does not have the facility to retract an
//     interrupt request"), the guest's handler finds nothing to do.
// So a source is never pending and in service at the same time.
#include "hyp/dev/vplic.h"
#include "kernel/string.h"

_Static_assert(VPLIC_MAX_CONTEXTS * 0x80 <= 0x200000 - 0x2000,
               "enable blocks would overlap the threshold pages");

#define PRIORITY_BASE  0x000000UL
#define PENDING_BASE   0x001000UL
#define ENABLE_BASE    0x002000UL
#define ENABLE_STRIDE  0x80UL          // per context: 1024 sources / 8
#define CONTEXT_BASE   0x200000UL
#define CONTEXT_STRIDE 0x1000UL        // per context: one 4 KiB page
#define THRESHOLD_OFF  0x0             // within a context's page
#define CLAIM_OFF      0x4

// Which register an offset names (see decode).
enum { REG_PRIORITY, REG_PENDING, REG_ENABLE, REG_THRESHOLD, REG_CLAIM };

struct reg {
  int kind;       // REG_*
  int ctx;        // context, for enable/threshold/claim
  int index;      // source (priority) or word (pending/enable)
};

// Is source src's bit set in a bit array?
static bool bit(const uint32_t *words, int src) {
  return (words[src / 32] >> (src % 32)) & 1;
}

static void set_bit(uint32_t *words, int src) {
  words[src / 32] |= 1u << (src % 32);
}

static void clear_bit(uint32_t *words, int src) {
  words[src / 32] &= ~(1u << (src % 32));
}

// The bits of word w that stand for sources we have: not source 0
// (hardwired to 0), not sources >= VPLIC_NSOURCES.
static uint32_t existing(int w) {
  uint32_t m = 0xffffffffu;
  if (w == 0)
    m &= ~1u;
  int past = VPLIC_NSOURCES - 32 * w;       // sources of word w we have
  if (past < 32)
    m &= (1u << past) - 1;
  return m;
}

void vplic_init(struct vplic *p, int ncontexts) {
  memset(p, 0, sizeof(*p));
  if (ncontexts < 0)
    ncontexts = 0;
  if (ncontexts > VPLIC_MAX_CONTEXTS)
    ncontexts = VPLIC_MAX_CONTEXTS;
  p->nctx = ncontexts;
}

// Name the register at offset off for an access of width bytes, in *r.
// Return 0, or -1 if the PLIC has no such register (see the map at the
// top). The spec's "Memory Map": registers are 32 bits, accessed with LW
// and SW only, so anything but an aligned 4-byte access is an error.
// Offsets are compared as 64-bit numbers before any is narrowed to int.
static int decode(const struct vplic *p, uint64_t off, int width,
                  struct reg *r) {
  if (width != 4 || off % 4 != 0)
    return -1;
  if (off < PENDING_BASE) {
    uint64_t src = (off - PRIORITY_BASE) / 4;
    if (src >= VPLIC_NSOURCES)
      return -1;
    r->kind = REG_PRIORITY;
    r->index = (int)src;
  } else if (off < ENABLE_BASE) {
    uint64_t w = (off - PENDING_BASE) / 4;
    if (w >= VPLIC_NWORDS)
      return -1;
    r->kind = REG_PENDING;
    r->index = (int)w;
  } else if (off < CONTEXT_BASE) {
    uint64_t c = (off - ENABLE_BASE) / ENABLE_STRIDE;
    uint64_t w = (off - ENABLE_BASE) % ENABLE_STRIDE / 4;
    if (c >= (uint64_t)p->nctx || w >= VPLIC_NWORDS)
      return -1;
    r->kind = REG_ENABLE;
    r->ctx = (int)c;
    r->index = (int)w;
  } else {
    uint64_t c = (off - CONTEXT_BASE) / CONTEXT_STRIDE;
    uint64_t in = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (c >= (uint64_t)p->nctx)
      return -1;
    if (in == THRESHOLD_OFF)
      r->kind = REG_THRESHOLD;
    else if (in == CLAIM_OFF)
      r->kind = REG_CLAIM;
    else
      return -1;
    r->ctx = (int)c;
  }
  return 0;
}

// The source a claim by context ctx would get now, or 0 for none: the
// pending source enabled for ctx, not in service, with the highest
// priority above ctx's threshold; among equals the lowest id ("Interrupt
// Identifiers (IDs)": smaller IDs take precedence). Priority 0 never
// wins, since thresholds are >= 0 ("Interrupt Priorities").
//
// The spec's "Interrupt Claim Process" says a claim is "not affected by
// the setting of the priority threshold register". QEMU's PLIC, which
// guests are written against, does apply the threshold to claims, and so
// do we: then a claim returns nonzero exactly when vplic_pending() is
// true, which keeps the monitor's notion of VSEIP honest.
//
// It runs on every device access a guest makes (hyp/dev/mmio.c recomputes
// each vCPU's VSEIP), so it looks at 32 sources at once: a word of
// pending bits, masked by the enables and the sources in service, is
// usually 0, and only a word with a candidate is looked at bit by bit.
static int best_source(const struct vplic *p, int ctx) {
  int best = 0;
  uint32_t best_prio = p->threshold[ctx];
  for (int w = 0; w < VPLIC_NWORDS; w++) {
    uint32_t cand = p->pending[w] & p->enable[ctx][w] & ~p->claimed[w];
    for (int src = w * 32; cand != 0; src++, cand >>= 1) {  // lowest id first
      if ((cand & 1) && p->priority[src] > best_prio) {  // strict: ties keep
        best = src;                                       // the lower id
        best_prio = p->priority[src];
      }
    }
  }
  return best;
}

// Claim for context ctx ("Interrupt Claim Process"): take the best
// source's pending bit and put the source in service. Return its id, or 0.
uint32_t vplic_claim(struct vplic *p, int ctx) {
  if (ctx < 0 || ctx >= p->nctx)
    return 0;
  int src = best_source(p, ctx);
  if (src != 0) {
    clear_bit(p->pending, src);
    set_bit(p->claimed, src);
  }
  return (uint32_t)src;
}

// Complete source id for context ctx ("Interrupt Completion"). The spec
// does not check that ctx is the context that claimed id, only that id is
// enabled for ctx; a completion that fails that is silently ignored, and
// so is one for a source not in service (there is nothing to end). The
// gateway then forwards the line again if it is still high. (With our
// gateway, an enabled source that is not in service is already pending if
// its line is high, so the in-service test changes nothing a guest can
// see; it is there to state the rule.)
void vplic_complete(struct vplic *p, int ctx, uint32_t id) {
  if (ctx < 0 || ctx >= p->nctx || id == 0 || id >= VPLIC_NSOURCES)
    return;                                  // no such source: not enabled
  int src = (int)id;
  if (!bit(p->enable[ctx], src) || !bit(p->claimed, src))
    return;
  clear_bit(p->claimed, src);
  if (bit(p->level, src))
    set_bit(p->pending, src);
}

int vplic_read(struct vplic *p, uint64_t off, int width, uint32_t *value) {
  struct reg r;
  if (decode(p, off, width, &r) < 0)
    return -1;
  switch (r.kind) {
  case REG_PRIORITY:
    *value = p->priority[r.index];
    break;
  case REG_PENDING:
    *value = p->pending[r.index];
    break;
  case REG_ENABLE:
    *value = p->enable[r.ctx][r.index];
    break;
  case REG_THRESHOLD:
    *value = p->threshold[r.ctx];
    break;
  case REG_CLAIM:
    *value = vplic_claim(p, r.ctx);
    break;
  }
  return 0;
}

// Priorities and thresholds are WARL fields ("Interrupt Priorities",
// "Priority Thresholds"): we keep the low 3 bits of what is written, so a
// guest that writes all ones and reads back learns there are 8 levels.
int vplic_write(struct vplic *p, uint64_t off, int width, uint32_t value) {
  struct reg r;
  if (decode(p, off, width, &r) < 0)
    return -1;
  switch (r.kind) {
  case REG_PRIORITY:
    if (r.index != 0)                        // source 0 does not exist
      p->priority[r.index] = value & VPLIC_PRIO_MASK;
    break;
  case REG_PENDING:
    break;                                   // read-only: only claims clear
  case REG_ENABLE:
    p->enable[r.ctx][r.index] = value & existing(r.index);
    break;
  case REG_THRESHOLD:
    p->threshold[r.ctx] = value & VPLIC_PRIO_MASK;
    break;
  case REG_CLAIM:
    vplic_complete(p, r.ctx, value);
    break;
  }
  return 0;
}

// The gateway of source src, for a level-triggered line (see the top of
// this file): a high line makes a request unless the source is in service.
void vplic_set_level(struct vplic *p, int src, bool level) {
  if (src < 1 || src >= VPLIC_NSOURCES)
    return;
  if (!level) {
    clear_bit(p->level, src);
    return;
  }
  set_bit(p->level, src);
  if (!bit(p->claimed, src))
    set_bit(p->pending, src);
}

bool vplic_pending(const struct vplic *p, int ctx) {
  if (ctx < 0 || ctx >= p->nctx)
    return false;
  return best_source(p, ctx) != 0;
}
