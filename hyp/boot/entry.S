# hyp/boot/entry.S: the first instructions the monitor runs.
#
# OpenSBI enters the monitor in HS-mode with the MMU off and
#     a0 = this hart's id       a1 = physical address of the device tree
# (SBI spec, chapter "Binary Encoding", and OpenSBI's fw_dynamic docs).
# The entry itself, with the boot-hart lottery that copes with OpenSBI 1.1
# sending two harts here, is shared with guest-os and splashos: it is
# kernel/entry.S, included below. What is the monitor's own: the boot hart
# goes on to hyp_main (hyp/boot/main.c), the harts the monitor starts with
# SBI HSM hart_start at _secondary_entry go on to hyp_secondary
# (hyp/boot/hart.c), and the stacks.
#
# Each hart needs a stack before it can run C. The stacks are one array in
# .bss, STACK_SIZE bytes per hart id; hart h uses the slice that ends at
# stacks + (h + 1) * STACK_SIZE (stacks grow down).

#include "hyp/param.h"

#define ENTRY_MAX_HARTS      MAX_HARTS
#define ENTRY_BOOT_MAIN      hyp_main
#define ENTRY_SECONDARY_MAIN hyp_secondary
#include "kernel/entry.S"

# sp = stacks + (tp + 1) * STACK_SIZE. Uses t0 and t1 only, so a0/a1
# survive for the C function called next.
entry_prepare_hart:
    la      sp, stacks
    li      t0, STACK_SIZE
    addi    t1, tp, 1
    mul     t0, t0, t1
    add     sp, sp, t0
    ret

.section .bss
.balign 16
.globl stacks
stacks:
    .space  STACK_SIZE * MAX_HARTS
