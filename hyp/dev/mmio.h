// hyp/dev/mmio.h: emulating a guest's device accesses.
#ifndef HYP_MMIO_H
#define HYP_MMIO_H

#include "hyp/cpu/vcpu.h"

// A guest-page fault at gpa that is not RAM. If a virtual device of the
// VM sits at gpa, emulate the access and step the guest past its
// instruction; returns true. Returns false when no device is there (the
// caller stops the VM). A device that refuses the access (a wrong width,
// say) also stops the VM, with the reason.
bool mmio_access(struct vcpu *v, uint64_t gpa);

// Some device's interrupt state may have changed (a register was
// written, a key arrived, a request completed): set each device's PLIC
// line from the device, then every vCPU's external interrupt line
// (hvip.VSEIP) from the PLIC, waking vCPUs whose line moved. Caller holds
// vm->dev_lock. The one call every device makes for its interrupts.
void mmio_irq_changed(struct vm *vm);

// A 4-byte store of val to the VM's device register at gpa, passed in a
// monitor call (SBI_DISCO_MMIO_STORE, hyp/sbi/vsbi_disco.c) instead of
// made by an instruction that traps: the same as that store, minus the
// instruction the monitor would fetch and decode. Returns 0, or -1 if no
// device of the VM has such a register (nothing happened).
int mmio_store32(struct vcpu *v, uint64_t gpa, uint32_t val);

// Take an interrupt for vCPU v in one step, as Disco's device drivers
// did with one monitor call where the hardware wants several accesses
// (Disco 4.2.4; SBI_DISCO_IRQ_TAKE, hyp/sbi/vsbi_disco.c): claim v's
// highest-priority pending source at its PLIC context, acknowledge the
// device's interrupt if the device has an acknowledgement (the virtio
// disk: InterruptACK of all its bits), and complete the source, so that
// it may fire again. Returns the source, or 0 if none was pending. The
// three trapped accesses it stands for cost three traps.
uint32_t mmio_take_irq(struct vcpu *v);

#endif
