# splashos/entry.S: the first instructions of a splashos image.
#
# The image is entered exactly like the monitor (hyp/boot/entry.S), so that the
# same binary boots on the bare machine and, later, as a guest of the
# monitor (Disco section 4.4: SPLASHOS runs unchanged on either). The
# firmware (OpenSBI, or the monitor playing firmware) enters at _entry in
# S-mode with the MMU off and
#     a0 = this hart's id       a1 = physical address of the device tree
# (SBI spec, chapter 3 "Binary Encoding"). The boot hart is whichever one
# OpenSBI's lottery picked, not necessarily hart 0. The other harts stay
# stopped until splashos/thread.c starts them with SBI HSM hart_start
# (SBI spec chapter 9) at _secondary_entry, with a0 = their id.
#
# Two harts have been seen to arrive at _entry in one boot on QEMU 7.2 with
# OpenSBI 1.1 (see hyp/boot/entry.S), so we hold a lottery of our own: the first
# hart to swap a 1 into boot_lottery boots; a later one waits until .bss
# is clear and then goes on as a secondary hart. thread.c copes with the
# "already started" answer hart_start then gives for it.
#
# Every hart, before any C code:
#   - keeps its hart id in tp for good (kernel/riscv.h: hart_id());
#   - turns the floating-point unit on: sstatus.FS = 1, "Initial"
#     (privileged spec 4.1.1 and 3.1.6.6). With FS = 0 ("Off") every FP
#     instruction is an illegal-instruction trap, and the applications are
#     mostly floating point;
#   - takes its slice of the `stacks` array, STACK_SIZE bytes per hart id
#     (hart h: the slice that ends at stacks + (h + 1) * STACK_SIZE).

#include "splashos/param.h"

#define SSTATUS_FS_INITIAL 0x2000

.section .text.entry
.globl _entry
_entry:
    mv      tp, a0
    li      t0, MAX_HARTS
    bgeu    a0, t0, too_many_harts

    # The lottery. amoswap.w.aq returns the old value: 0 for the winner.
    la      t0, boot_lottery
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, lost_lottery

    # Zero .bss (C's static variables start at 0). No other hart runs
    # our code yet, except a lottery loser, which only reads .data.
    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    la      t0, bss_ready
    li      t1, 1
    fence   rw, w
    sw      t1, 0(t0)
    call    hart_setup
    # splash_main(hartid = a0, dtb = a1) (splashos/main.c): never returns.
    call    splash_main
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
    call    hart_setup
    # thread_secondary(hartid = a0) (splashos/thread.c): never returns.
    call    thread_secondary
    j       hang

# The FPU on, and sp = stacks + (tp + 1) * STACK_SIZE. Uses t0 and t1
# only, so a0/a1 survive for the C function called next.
hart_setup:
    li      t0, SSTATUS_FS_INITIAL
    csrs    sstatus, t0
    la      sp, stacks
    li      t0, STACK_SIZE
    addi    t1, tp, 1
    mul     t0, t0, t1
    add     sp, sp, t0
    ret

# A hart id we have no stack for: we cannot run C, so ask the firmware to
# power off with reason "system failure" (SBI SRST, chapter 10).
too_many_harts:
    li      a7, 0x53525354      # SRST
    li      a6, 0               # system_reset
    li      a0, 0               # shutdown
    li      a1, 1               # reason: system failure
    ecall
hang:
    wfi
    j       hang

# In .data, not .bss: the boot hart clears .bss while a lottery loser may
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
