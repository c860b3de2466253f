// hyp/sbi/vsbi_test.c: a test-only SBI extension, in the range the SBI spec
// keeps for experiments (0x08000000-0x08FFFFFF, spec chapter 17), for the
// lab 2 tests: it lets a guest make the monitor move its pages, or take
// them away from every VM that maps them, while its other vCPUs run.
//
//   EID 0x08445654 ("DVT": Disco-V test)
//   fid 0  move_page(gpa, node): move the guest page at gpa to a new
//          machine page on node (pmap_move_page). error 0, or
//          SBI_ERR_INVALID_ADDRESS (gpa not RAM), SBI_ERR_INVALID_PARAM
//          (no such node), SBI_ERR_DENIED (a disk request has the page
//          pinned, or it is a shared page, lab 3: not moved),
//          SBI_ERR_FAILED (no free page)
//   fid 1  audit_violations(): the auditor's count so far, machine-wide
//   fid 2  unmap_page(gpa): take the machine page behind gpa away from
//          every VM that maps it (memmap_unmap_page: back-mappings and
//          shootdowns) and free it; the guest's next touch gets a fresh
//          zeroed page. value: the mappings removed (a gpa without a
//          machine page is backed first, by pmap_pin, so 0 only if
//          another vCPU freed the page meanwhile).
//          SBI_ERR_INVALID_ADDRESS (gpa not RAM, or no memory to back it)
//   fid 3  page_node(gpa): the NUMA node of the machine page behind gpa
//          (lab 4's tests: did the policy move it?); SBI_ERR_INVALID_ADDRESS
//          if gpa is not RAM or has no machine page
//
// Only in test builds (`make AUDIT=1`, which `make test` uses): otherwise
// the extension does not exist (probe_extension says 0).
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/mem/tlb_audit.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"

#ifndef TLB_AUDIT
#define TLB_AUDIT 0
#endif

#define SBI_EXT_DISCO_TEST 0x08445654
// With the auditor off, a range no guest can name (EIDs are 32 bits).
#define TEST_EID (TLB_AUDIT ? SBI_EXT_DISCO_TEST : 0x1ffffffffUL)

static struct sbiret test_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  struct pmap *pm = &v->vm->pmap;
  if (fid == 0) {
    uint64_t gpa = v->x[10], node = v->x[11];
    if (!pmap_is_ram(pm, gpa))
      r.error = SBI_ERR_INVALID_ADDRESS;
    else if (node >= (uint64_t)machine.nnodes)
      r.error = SBI_ERR_INVALID_PARAM;
    else
      switch (pmap_move_page(pm, gpa, (int)node)) {
      case PMAP_MOVED:
        break;
      case PMAP_PINNED:
      case PMAP_SHARED:
        r.error = SBI_ERR_DENIED;
        break;
      default:
        r.error = SBI_ERR_FAILED;
      }
  } else if (fid == 1) {
    r.value = (long)audit_violations();
  } else if (fid == 2) {
    uint64_t gpa = v->x[10];
    uint64_t pa = pmap_is_ram(pm, gpa) ? pmap_pin(pm, gpa, false) : 0;
    if (pa == 0) {
      r.error = SBI_ERR_INVALID_ADDRESS;
    } else {
      // Our pin keeps the page allocated until every mapping is gone;
      // then we drop the mappings' references and our own.
      pa = ALIGN_DOWN(pa, PAGE_SIZE);
      r.value = memmap_unmap_page(pa);
      for (long i = 0; i <= r.value; i++)
        memmap_free(pa);
    }
  } else if (fid == 3) {
    uint64_t pa = pmap_is_ram(pm, v->x[10]) ? pmap_lookup(pm, v->x[10]) : 0;
    if (pa == 0)
      r.error = SBI_ERR_INVALID_ADDRESS;
    else
      r.value = memmap_lookup(pa)->node;
  } else {
    r.error = SBI_ERR_NOT_SUPPORTED;
  }
  return r;
}
const struct vsbi_ext vsbi_test = {TEST_EID, TEST_EID, "test", test_call};
