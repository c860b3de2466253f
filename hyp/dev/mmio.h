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

#endif
