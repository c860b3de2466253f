// hyp/sbi/vsbi_disco.c: Disco's monitor calls, as an SBI extension.
//
// Disco did not run IRIX entirely unchanged: a few small changes let the
// kernel tell the monitor what only the kernel knows (Disco 4.3). Two of
// them were about memory: IRIX told the monitor when a page was free,
// so the monitor could take the machine page back, and asked it for
// zeroed pages, so that a page the monitor had to zero anyway (a VM must
// never see another VM's data) was not zeroed a second time by the
// kernel. Ours are the same two, and two more (below), as an SBI extension
// in the range the SBI spec keeps for experiments (0x08000000-0x08FFFFFF, SBI spec chapter 17,
// "Experimental SBI Extension Space"):
//
//   EID SBI_EXT_DISCO (0x0844434d, "DCM": Disco monitor calls)
//   fid SBI_DISCO_PAGE_FREE (0)  page_free(gpa): the guest page at gpa is
//        free. The monitor unmaps it (with a shootdown: hyp/mem/tlb.h)
//        and frees its machine page; the guest's next touch of gpa gets a
//        fresh zeroed page, as a first touch does.
//   fid SBI_DISCO_PAGE_ZERO (1)  page_zero(gpa): give the guest page at
//        gpa zeroed contents; the guest then skips its own zeroing.
//   Both: gpa page-aligned guest RAM, else SBI_ERR_INVALID_ADDRESS;
//   page_zero: SBI_ERR_FAILED when machine memory ran out.
//
// The other two are about devices. Disco's virtual devices were driven by
// special drivers in IRIX that passed a whole command to the monitor in
// one trap, where the real device wanted many accesses (Disco 4.2.4).
// Taking an interrupt from a virtual device costs a guest three trapped
// accesses here: the PLIC claim, the device's acknowledgement, the PLIC
// completion. One call does all three. And a driver's store to a device
// register costs the monitor fetching and decoding the instruction, and
// checking that the guest's own page-table walk did not make the access
// (hyp/cpu/vtrap.c): a call that names the register does without.
//
//   fid SBI_DISCO_IRQ_TAKE (2)  irq_take(): claim this vCPU's pending
//        external interrupt, acknowledge it at its device (the virtio
//        disk: every InterruptStatus bit), complete it (hyp/dev/mmio.h:
//        mmio_take_irq). Returns the source in value, 0 if none was
//        pending. The caller then runs the device's handler, minus its
//        acknowledgement: requests that complete meanwhile raise the line
//        again, as after an InterruptACK.
//   fid SBI_DISCO_MMIO_STORE (3)  mmio_store(gpa, value): store the 32
//        bits of value to the device register at guest-physical gpa, as
//        a 4-byte store instruction there would (mmio_store32). guest-os
//        writes virtio's QueueNotify with it, once a request.
//        SBI_ERR_INVALID_ADDRESS if no device of the VM has a register
//        there that takes the store (and nothing happened).
//
// guest-os probes for the extension (sbi_probe) and uses it when it is
// there; on bare hardware OpenSBI says it is not, and the same binary
// zeroes and keeps its own pages (guest-os/page.c) and takes interrupts
// from the PLIC (guest-os/plic.c).
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"
#include "hyp/mem/memmap.h"
#include "hyp/dev/mmio.h"

static struct sbiret disco_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  struct pmap *pm = &v->vm->pmap;
  uint64_t gpa = v->x[10];
  if (fid == SBI_DISCO_IRQ_TAKE) {
    r.value = mmio_take_irq(v);
  } else if (fid == SBI_DISCO_MMIO_STORE) {
    if (mmio_store32(v, gpa, (uint32_t)v->x[11]) < 0)
      r.error = SBI_ERR_INVALID_ADDRESS;
  } else if (fid != SBI_DISCO_PAGE_FREE && fid != SBI_DISCO_PAGE_ZERO) {
    r.error = SBI_ERR_NOT_SUPPORTED;
  } else if (!pmap_is_ram(pm, gpa) || gpa % PAGE_SIZE != 0) {
    r.error = SBI_ERR_INVALID_ADDRESS;
  } else if (fid == SBI_DISCO_PAGE_FREE) {
    uint64_t pa = pmap_remove(pm, gpa);
    if (pa != 0) {
      memmap_free(pa);
      __atomic_fetch_add(&pm->tlb.c.pages_returned, 1, __ATOMIC_RELAXED);
    }
  } else if (pmap_zero(pm, gpa) < 0) {
    r.error = SBI_ERR_FAILED;
  } else {
    __atomic_fetch_add(&pm->tlb.c.pages_zeroed, 1, __ATOMIC_RELAXED);
  }
  return r;
}

const struct vsbi_ext vsbi_disco = {SBI_EXT_DISCO, SBI_EXT_DISCO, "disco",
                                    disco_call};
