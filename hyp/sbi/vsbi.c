// hyp/sbi/vsbi.c: SBI dispatch and BASE (see hyp/sbi/vsbi.h); the legacy
// calls live with their modern groups (vsbi_time.c, vsbi_console.c,
// vsbi_system.c).
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"

// The extension groups, each defined in its own file, and the table.
// Adding an extension is a file, its name here and its row below; the
// table's size, and the counters' (one per row), follow.
extern const struct vsbi_ext vsbi_base, vsbi_legacy_timer,
    vsbi_legacy_console, vsbi_legacy_shutdown, vsbi_time, vsbi_ipi,
    vsbi_rfence, vsbi_hsm, vsbi_srst, vsbi_dbcn, vsbi_susp, vsbi_disco,
    vsbi_test;
static const struct vsbi_ext *const table[] = {
    &vsbi_base,  &vsbi_legacy_timer, &vsbi_legacy_console,
    &vsbi_legacy_shutdown, &vsbi_time, &vsbi_ipi, &vsbi_rfence,
    &vsbi_hsm,   &vsbi_srst, &vsbi_dbcn, &vsbi_susp, &vsbi_disco,
    &vsbi_test,
};
#define ROWS ((int)(sizeof(table) / sizeof(table[0])))
_Static_assert(ROWS <= MAX_SBI_EXTS, "struct vcpu counts calls per row");

int vsbi_ext_count(void) { return ROWS; }
const char *vsbi_ext_name(int i) { return table[i]->name; }

static bool in_row(int i, uint64_t eid) {
  return eid >= table[i]->eid_first && eid <= table[i]->eid_last;
}

// The row for extension id eid, or -1.
static int find(uint64_t eid) {
  for (int i = 0; i < ROWS; i++)
    if (in_row(i, eid))
      return i;
  return -1;
}

// The same for a call by v. A guest calls the same extension many times
// in a row (Disco's monitor calls, once or twice a disk request), so v's
// last row is tried first.
static int find_for(struct vcpu *v, uint64_t eid) {
  if (!in_row(v->sbi_last_row, eid)) {
    int i = find(eid);
    if (i < 0)
      return -1;
    v->sbi_last_row = i;
  }
  return v->sbi_last_row;
}

void vsbi_call(struct vcpu *v) {
  // Extension and function ids are 32-bit values (spec 3: "encoded as
  // signed 32-bit integers"), and data declared 32 bits wide is only the
  // lower half of its register: a caller may leave anything in the upper
  // half. Every id we implement is positive, so the lower half, unsigned,
  // is the id.
  uint64_t eid = (uint32_t)v->x[17], fid = (uint32_t)v->x[16];   // a7, a6
  v->sepc += 4;                 // return after the ecall (spec ch. 3)
  v->sbi_calls++;
  v->sbi_no_return = 0;

  int i = find_for(v, eid);
  struct sbiret r = {SBI_ERR_NOT_SUPPORTED, 0};
  if (i >= 0) {
    v->sbi_by_ext[i]++;
    r = table[i]->call(v, eid, fid);
  }
  if (v->sbi_no_return)
    return;
  v->x[10] = (uint64_t)r.error;
  // The legacy calls (spec ch. 5, EIDs 0x00-0x0F) return only a0 and
  // leave a1 alone.
  if (eid > SBI_EXT_LEGACY_LAST)
    v->x[11] = (uint64_t)r.value;
}

long vsbi_hart_mask(struct vcpu *v, uint64_t mask, uint64_t base,
                    uint64_t *vcpus) {
  int n = v->vm->nvcpus;
  uint64_t all = (n >= 64) ? ~0UL : (1UL << n) - 1;
  if (base == ~0UL) {             // "all harts", mask ignored (spec 3.1)
    *vcpus = all;
    return SBI_SUCCESS;
  }
  if (base >= (uint64_t)n)
    return mask == 0 ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM;
  uint64_t shifted = mask << base;
  if ((shifted >> base) != mask || (shifted & ~all) != 0)
    return SBI_ERR_INVALID_PARAM;  // names a vCPU this VM does not have
  *vcpus = shifted;
  return SBI_SUCCESS;
}

long vsbi_for_each_target(struct vcpu *v,
                          void (*what)(struct vcpu *caller, struct vcpu *t)) {
  uint64_t targets;
  long err = vsbi_hart_mask(v, v->x[10], v->x[11], &targets);
  if (err != SBI_SUCCESS)
    return err;
  for (int i = 0; i < v->vm->nvcpus; i++)
    if (targets & (1UL << i))
      what(v, &v->vm->vcpus[i]);
  return SBI_SUCCESS;
}

// ---- BASE (chapter 4) ----
static struct sbiret base_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  switch (fid) {
  case SBI_BASE_GET_SPEC_VERSION:
    r.value = (long)VSBI_SPEC_VERSION;
    break;
  case SBI_BASE_GET_IMPL_ID:
    r.value = (long)VSBI_IMPL_ID;
    break;
  case SBI_BASE_GET_IMPL_VERSION:
    r.value = VSBI_IMPL_VERSION;
    break;
  case SBI_BASE_PROBE_EXTENSION:     // an id: 32 bits, as in a7
    r.value = find((uint32_t)v->x[10]) >= 0;
    break;
  case SBI_BASE_GET_MVENDORID:        // none of the three: 0
  case SBI_BASE_GET_MARCHID:
  case SBI_BASE_GET_MIMPID:
    r.value = 0;
    break;
  default:
    r.error = SBI_ERR_NOT_SUPPORTED;
    break;
  }
  return r;
}
const struct vsbi_ext vsbi_base = {SBI_EXT_BASE, SBI_EXT_BASE, "base",
                                   base_call};
