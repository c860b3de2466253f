// hyp/vm/vm_fdt.h: the device tree a guest finds in a1 when it starts.
#ifndef HYP_VM_FDT_H
#define HYP_VM_FDT_H

#include "hyp/vm/vm.h"

// Write vm's device tree into its memory at vm->fdt_gpa: its vCPUs, its
// memory, /chosen (bootargs), and the devices the monitor emulates for
// it. Returns 0, or -1 if it does not fit in GUEST_FDT_SIZE.
int vm_fdt_build(struct vm *vm, const struct vm_config *cfg);

#endif
