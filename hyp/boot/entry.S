# hyp/boot/entry.S: the first instructions the monitor runs.
#
# OpenSBI enters the monitor in HS-mode with the MMU off and
#     a0 = this hart's id       a1 = physical address of the device tree
# (OpenSBI's docs/firmware/fw.md: the next booting stage gets the hart id
# in a0 and the device tree in a1, as Linux's RISC-V boot protocol wants).
# The entry itself, with the boot-hart lottery that copes with OpenSBI 1.1
# sending two harts here, is shared with guest-os and splashos: it is
# kernel/entry.S, included below. What is the monitor's own: the boot hart
# goes on to hyp_main (hyp/boot/main.c), the harts the monitor starts with
# SBI HSM hart_start at _secondary_entry go on to hyp_secondary
# (hyp/boot/hart.c), and the size of the stacks.
#
# Each hart needs a stack before it can run C. The stacks are one array in
# .bss, `stacks` (kernel/entry.S lays it out), STACK_SIZE bytes per hart
# id; hart h uses the slice that ends at stacks + (h + 1) * STACK_SIZE
# (stacks grow down).

#include "hyp/param.h"

#define ENTRY_MAX_HARTS      MAX_HARTS
#define ENTRY_BOOT_MAIN      hyp_main
#define ENTRY_SECONDARY_MAIN hyp_secondary
#define ENTRY_STACKS         stacks
#define ENTRY_STACK_SIZE     STACK_SIZE
#include "kernel/entry.S"

# Nothing more before C: the monitor's FPU state is the firmware's.
entry_prepare_hart:
    ret
