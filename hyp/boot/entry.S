# hyp/boot/entry.S: the first instructions the monitor runs.
#
# OpenSBI enters the monitor in HS-mode with the MMU off and
#     a0 = this hart's id       a1 = physical address of the device tree
# (SBI spec, chapter "Binary Encoding", and OpenSBI's fw_dynamic docs).
# Only one hart should come here: OpenSBI picks the boot hart by lottery,
# so it need not be hart 0. The others stay stopped until the monitor
# starts them with SBI HSM hart_start at _secondary_entry (below), with
#     a0 = that hart's id       a1 = the "opaque" value we passed.
#
# "Should": on QEMU 7.2 with OpenSBI 1.1 we have seen two harts arrive here
# in the same boot (about one run in ten with four 1-hart nodes). So we
# hold a lottery of our own: the first hart to swap a 1 into boot_lottery
# is the boot hart; a later one waits until the boot hart has cleared .bss
# and then carries on as a secondary hart (hyp/boot/hart.c copes with the
# "already started" answer it then gets from hart_start).
#
# Each hart needs a stack before it can run C. The stacks are one array in
# .bss, STACK_SIZE bytes per hart id; hart h uses the slice that ends at
# stacks + (h + 1) * STACK_SIZE (stacks grow down).

#include "hyp/param.h"

.section .text.entry
.globl _entry
_entry:
    # Keep the hart id in tp for the whole life of the monitor
    # (kernel/riscv.h: hart_id()).
    mv      tp, a0

    # A hart id we have no stack for: give up before touching memory.
    li      t0, MAX_HARTS
    bgeu    a0, t0, too_many_harts

    # Our lottery (see above). amoswap.w.aq returns the old value.
    la      t0, boot_lottery
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, lost_lottery

    # Zero .bss: C expects its static variables to start at 0. Only the
    # boot hart gets here, and no other hart is running yet.
    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    # Tell a hart that lost the lottery that .bss is ready.
    la      t0, bss_ready
    li      t1, 1
    fence   rw, w
    sw      t1, 0(t0)
    call    set_stack
    # hyp_main(hartid = a0, dtb = a1): never returns.
    call    hyp_main
    j       hang

# A second hart came in through _entry: wait for .bss, then go on below.
lost_lottery:
    la      t0, bss_ready
3:  lw      t1, 0(t0)
    beqz    t1, 3b
    fence   r, rw

.globl _secondary_entry
_secondary_entry:
    mv      tp, a0
    li      t0, MAX_HARTS
    bgeu    a0, t0, hang
    call    set_stack
    # hyp_secondary(hartid = a0): never returns.
    call    hyp_secondary
    j       hang

# sp = stacks + (tp + 1) * STACK_SIZE. Uses t0 and t1 only, so a0/a1
# survive for the C function called next.
set_stack:
    la      sp, stacks
    li      t0, STACK_SIZE
    addi    t1, tp, 1
    mul     t0, t0, t1
    add     sp, sp, t0
    ret

# The boot hart's id is beyond MAX_HARTS: we cannot even print (no stack),
# so ask the firmware to power off with "system failure" (SBI SRST).
too_many_harts:
    li      a7, 0x53525354      # SRST
    li      a6, 0               # system_reset
    li      a0, 0               # shutdown
    li      a1, 1               # reason: system failure
    ecall
hang:
    wfi
    j       hang

# In .data, not .bss: the boot hart clears .bss while another hart may
# already be reading these.
.section .data
.balign 4
boot_lottery:
    .word   0
bss_ready:
    .word   0

.section .bss
.balign 16
.globl stacks
stacks:
    .space  STACK_SIZE * MAX_HARTS
