// hyp/mmio.c: device emulation, from the trap to the device (see hyp/mmio.h).
//
// A VM's devices are not mapped in its G-stage table, so every load or
// store to one traps as a guest-page fault (cause 21 load, 23 store). Then:
//
//   1. which device? the faulting guest-physical address says;
//   2. what access? decode the instruction: from htinst when the hardware
//      provides a transformed instruction (newer QEMU), else by reading it
//      from guest memory at sepc with HLVX (QEMU 7.2 leaves htinst 0) and
//      decoding it ourselves (hyp/decode.c): load or store, width, register;
//   3. do it: the device's read or write, then the loaded value into the
//      destination register, sign- or zero-extended;
//   4. step sepc past the instruction (2 or 4 bytes);
//   5. a device's interrupt line may have moved: recompute VSEIP.
//
// Bao's idea: the decoded access (struct mmio_access) is the one interface
// between traps and devices; devices never see instructions.
#include "hyp/decode.h"
#include "hyp/diskq.h"
#include "hyp/mmio.h"
#include "hyp/sched.h"
#include "hyp/vm.h"
#include "hyp/vplic.h"
#include "hyp/vtrap.h"
#include "hyp/vuart.h"
#include "hyp/vvirtio_blk.h"

// Step 2: the access the faulting instruction makes. 0 or -1.
static int decode_access(struct vcpu *v, struct mmio_access *a) {
  if ((v->htinst & 1) && decode_htinst(v->htinst, a) == 0)
    return 0;
  uint32_t insn;
  if (vtrap_read_insn(v, v->sepc, &insn) < 0)
    return -1;
  return decode_mmio(insn, a);
}

void mmio_update_irqs(struct vm *vm) {
  // The S-mode context of vCPU i is PLIC context 2i+1 (hyp/vplic.h).
  for (int i = 0; i < vm->nvcpus; i++) {
    struct vcpu *v = &vm->vcpus[i];
    uint32_t want = vplic_pending(&vm->plic, 2 * i + 1);
    if (__atomic_exchange_n(&v->eip, want, __ATOMIC_ACQ_REL) != want)
      sched_kick_vcpu(v);
  }
}

// Step 1: does the VM have a device at gpa? (The virtio disk only if
// its configuration gave it one.)
static bool has_device(struct vm *vm, uint64_t gpa) {
  return gpa - VUART_GPA_BASE < VUART_GPA_SIZE ||
         gpa - VPLIC_GPA_BASE < VPLIC_GPA_SIZE ||
         (vm->blk.present && gpa - VVIRTIO_GPA_BASE < VVIRTIO_GPA_SIZE);
}

// Step 3 for each device. Returns 0, or -1 if the device refused.
static int device_read(struct vm *vm, uint64_t gpa, int width, uint64_t *val) {
  if (gpa - VUART_GPA_BASE < VUART_GPA_SIZE)
    return vuart_read(vm, &vm->uart, gpa - VUART_GPA_BASE, width, val);
  if (gpa - VVIRTIO_GPA_BASE < VVIRTIO_GPA_SIZE)
    return vvirtio_blk_read(vm, gpa - VVIRTIO_GPA_BASE, width, val);
  uint32_t v32;
  if (vplic_read(&vm->plic, gpa - VPLIC_GPA_BASE, width, &v32) < 0)
    return -1;
  *val = v32;
  return 0;
}

static int device_write(struct vm *vm, uint64_t gpa, int width, uint64_t val) {
  if (gpa - VUART_GPA_BASE < VUART_GPA_SIZE)
    return vuart_write(vm, &vm->uart, gpa - VUART_GPA_BASE, width, val);
  if (gpa - VVIRTIO_GPA_BASE < VVIRTIO_GPA_SIZE)
    return vvirtio_blk_write(vm, gpa - VVIRTIO_GPA_BASE, width, val);
  return vplic_write(&vm->plic, gpa - VPLIC_GPA_BASE, width, (uint32_t)val);
}

bool mmio_access(struct vcpu *v, uint64_t gpa) {
  struct vm *vm = v->vm;
  // Step 1.
  if (!has_device(vm, gpa))
    return false;
  struct mmio_access a;
  if (decode_access(v, &a) < 0) {
    vm_fail(v, "device access at %p by an instruction the monitor cannot "
               "emulate", (void *)gpa);
    return true;
  }
  acquire(&vm->dev_lock);
  uint64_t val = 0;
  int r;
  if (a.write) {
    val = a.reg == 0 ? 0 : v->x[a.reg];
    r = device_write(vm, gpa, a.width, val);
  } else {
    r = device_read(vm, gpa, a.width, &val);
  }
  if (r == 0) {
    vplic_set_level(&vm->plic, VUART_IRQ, vuart_irq_level(&vm->uart));
    vplic_set_level(&vm->plic, VVIRTIO_BLK_IRQ, vvirtio_blk_irq_level(&vm->blk));
    mmio_update_irqs(vm);
  }
  release(&vm->dev_lock);
  // A notify queued requests: start them now (not under dev_lock, which
  // comes after the disk scheduler's lock).
  if (a.write && r == 0 && gpa - VVIRTIO_GPA_BASE < VVIRTIO_GPA_SIZE)
    diskq_run();
  if (r < 0) {
    vm_fail(v, "%d-byte %s at %p: the device has no such register", a.width,
            a.write ? "write" : "read", (void *)gpa);
    return true;
  }
  if (!a.write && a.reg != 0)
    v->x[a.reg] = mmio_extend(&a, val);
  v->sepc += (uint64_t)a.insn_len;
  v->mmio_accesses++;
  return true;
}
