// hyp/dev/mmio.c: device emulation, from the trap to the device (see hyp/dev/mmio.h).
//
// A VM's devices are not mapped in its G-stage table, so every load or
// store to one traps as a guest-page fault (cause 21 load, 23 store). Then:
//
//   1. which device? the faulting guest-physical address says (the table
//      of devices below);
//   2. what access? decode the instruction: from htinst when the hardware
//      provides a transformed instruction (newer QEMU), else by reading it
//      from guest memory at sepc with HLVX (QEMU 7.2 leaves htinst 0) and
//      decoding it ourselves (hyp/dev/decode.c): load or store, width, register;
//   3. do it: the device's read or write, then the loaded value into the
//      destination register, sign- or zero-extended;
//   4. step sepc past the instruction (2 or 4 bytes);
//   5. a device's interrupt line may have moved: mmio_irq_changed.
//
// Bao's idea: the decoded access (struct mmio_access) is the one interface
// between traps and devices; devices never see instructions.
#include "hyp/dev/decode.h"
#include "hyp/dev/mmio.h"
#include "hyp/cpu/sched.h"
#include "hyp/vm/vm.h"
#include "hyp/dev/vplic.h"
#include "hyp/cpu/vtrap.h"
#include "hyp/dev/vuart.h"
#include "hyp/dev/vvirtio_blk.h"

// Step 2: the access the faulting instruction makes. 0 or -1.
static int decode_access(struct vcpu *v, struct mmio_access *a) {
  if ((v->htinst & 1) && decode_htinst(v->htinst, a) == 0)
    return 0;
  uint32_t insn;
  if (vtrap_read_insn(v, v->sepc, &insn) < 0)
    return -1;
  return decode_mmio(insn, a);
}

// The PLIC's registers are 32 bits wide, and hyp/dev/vplic.c knows
// nothing of VMs (so that it can be tested on the host): these two give it
// the access signature of the table below.
static int plic_read(struct vm *vm, uint64_t off, int width, uint64_t *val) {
  uint32_t v32;
  if (vplic_read(&vm->plic, off, width, &v32) < 0)
    return -1;
  *val = v32;
  return 0;
}

static int plic_write(struct vm *vm, uint64_t off, int width, uint64_t val) {
  return vplic_write(&vm->plic, off, width, (uint32_t)val);
}

// A VM's virtual device, as the trap path sees it: where it sits in
// guest-physical space, how a load or store reaches it (off is the offset
// from base; the caller holds vm->dev_lock), and the PLIC source its
// interrupt line drives. Adding a device is adding a row (Bao keeps the
// same kind of table); nothing else in the trap path names a device.
struct vdev {
  const char *name;
  uint64_t base, size;
  int irq;                                   // PLIC source; 0: no line
  bool (*present)(struct vm *vm);            // NULL: every VM has it
  int (*read)(struct vm *vm, uint64_t off, int width, uint64_t *val);
  int (*write)(struct vm *vm, uint64_t off, int width, uint64_t val);
  bool (*irq_level)(struct vm *vm);          // is its line up? (irq != 0)
  // NULL, or what to do after a store, once vm->dev_lock is released
  // (the disk starts the requests a notify queued: hyp/dev/diskq.h).
  void (*after_write)(struct vm *vm);
  // NULL, or the device's own acknowledgement of its interrupt, for
  // mmio_take_irq (virtio: InterruptACK of every bit). NULL: its line
  // follows its registers, and the driver's handler lowers it.
  void (*ack)(struct vm *vm);
};

static const struct vdev devices[] = {
    {"uart", VUART_GPA_BASE, VUART_GPA_SIZE, VUART_IRQ, NULL, vuart_read,
     vuart_write, vuart_irq_level, NULL, NULL},
    {"plic", VPLIC_GPA_BASE, VPLIC_GPA_SIZE, 0, NULL, plic_read, plic_write,
     NULL, NULL, NULL},
    {"virtio-blk", VVIRTIO_GPA_BASE, VVIRTIO_GPA_SIZE, VVIRTIO_BLK_IRQ,
     vvirtio_blk_present, vvirtio_blk_read, vvirtio_blk_write,
     vvirtio_blk_irq_level, vvirtio_blk_after_write, vvirtio_blk_ack},
};
#define NDEVICES ((int)(sizeof(devices) / sizeof(devices[0])))

static bool has(struct vm *vm, const struct vdev *d) {
  return d->present == NULL || d->present(vm);
}

// Step 1: the VM's device at gpa, or NULL.
static const struct vdev *find_device(struct vm *vm, uint64_t gpa) {
  for (int i = 0; i < NDEVICES; i++)
    if (gpa - devices[i].base < devices[i].size && has(vm, &devices[i]))
      return &devices[i];
  return NULL;
}

void mmio_irq_changed(struct vm *vm) {
  for (int i = 0; i < NDEVICES; i++) {
    const struct vdev *d = &devices[i];
    if (d->irq != 0 && has(vm, d))
      vplic_set_level(&vm->plic, d->irq, d->irq_level(vm));
  }
  // The S-mode context of vCPU i is PLIC context 2i+1 (hyp/dev/vplic.h).
  for (int i = 0; i < vm->nvcpus; i++) {
    struct vcpu *v = &vm->vcpus[i];
    uint32_t want = vplic_pending(&vm->plic, 2 * i + 1);
    if (__atomic_exchange_n(&v->eip, want, __ATOMIC_ACQ_REL) != want)
      sched_kick_vcpu(v);
  }
}

// Step 3: the access itself, under the VM's device lock, then step 5.
// Returns 0, or -1 if the device has no such register.
static int device_access(struct vm *vm, const struct vdev *d, uint64_t gpa,
                         bool write, int width, uint64_t *val) {
  acquire(&vm->dev_lock);
  int r = write ? d->write(vm, gpa - d->base, width, *val)
                : d->read(vm, gpa - d->base, width, val);
  if (r == 0)
    mmio_irq_changed(vm);                        // step 5
  release(&vm->dev_lock);
  if (r == 0 && write && d->after_write != NULL)
    d->after_write(vm);
  return r;
}

bool mmio_access(struct vcpu *v, uint64_t gpa) {
  struct vm *vm = v->vm;
  const struct vdev *d = find_device(vm, gpa);   // step 1
  if (d == NULL)
    return false;
  struct mmio_access a;
  if (decode_access(v, &a) < 0) {
    vm_fail(v, "device access at %p by an instruction the monitor cannot "
               "emulate", (void *)gpa);
    return true;
  }
  uint64_t val = a.write && a.reg != 0 ? v->x[a.reg] : 0;
  if (device_access(vm, d, gpa, a.write, a.width, &val) < 0) {
    vm_fail(v, "%d-byte %s at %p: the device has no such register", a.width,
            a.write ? "write" : "read", (void *)gpa);
    return true;
  }
  if (!a.write && a.reg != 0)
    v->x[a.reg] = mmio_extend(&a, val);
  v->sepc += (uint64_t)a.insn_len;             // step 4
  v->mmio_accesses++;
  return true;
}

int mmio_store32(struct vcpu *v, uint64_t gpa, uint32_t val) {
  const struct vdev *d = find_device(v->vm, gpa);
  uint64_t val64 = val;
  if (d == NULL || device_access(v->vm, d, gpa, true, 4, &val64) < 0)
    return -1;
  v->mmio_accesses++;
  return 0;
}

uint32_t mmio_take_irq(struct vcpu *v) {
  struct vm *vm = v->vm;
  int ctx = 2 * v->id + 1;           // vCPU i's S-mode context: 2i+1
  acquire(&vm->dev_lock);
  uint32_t src = vplic_claim(&vm->plic, ctx);
  for (int i = 0; i < NDEVICES && src != 0; i++) {
    const struct vdev *d = &devices[i];
    if ((uint32_t)d->irq == src && has(vm, d) && d->ack != NULL) {
      d->ack(vm);
      // Its line follows at once, as after a trapped InterruptACK: the
      // completion below would otherwise find it still up, and the PLIC
      // would forward the interrupt just taken again.
      vplic_set_level(&vm->plic, d->irq, d->irq_level(vm));
    }
  }
  if (src != 0) {
    vplic_complete(&vm->plic, ctx, src);
    mmio_irq_changed(vm);
  }
  release(&vm->dev_lock);
  return src;
}
