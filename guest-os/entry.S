# guest-os/entry.S: the kernel's first instructions, on every hart.
#
# The firmware (OpenSBI, or the monitor when it plays firmware for a VM)
# enters _entry in S-mode, MMU off, interrupts off, with
#     a0 = this hart's id      a1 = physical address of the device tree
# (SBI spec v2.0, chapter 3 "Binary Encoding", and the boot protocol the
# Linux RISC-V port set). Which hart comes first is the firmware's choice
# (OpenSBI 1.1 holds a lottery), so nothing here assumes hart 0.
#
# Two harts have been seen entering _entry in one boot on QEMU 7.2 with
# OpenSBI 1.1, so we hold a lottery of our own: the first hart to swap a 1
# into `entry_taken` boots the kernel; any later one waits until .bss has
# been cleared and then carries on as a secondary hart (guest-os/main.c
# makes it wait again until the kernel is ready for it).
#
# The other harts are started by the boot hart with SBI HSM hart_start
# (SBI spec chapter 9) at _secondary_entry, with a0 = their id.
#
# Each hart, before any C runs:
#   - keeps its hart id in tp for good: kernel/ reads it with hart_id()
#     and no C code writes tp (trapvec.S restores it after user mode);
#   - switches the floating-point unit off (sstatus.FS = 0, privileged
#     spec 4.1.1): neither the kernel nor, in this step, user programs use
#     it, and "off" makes any stray FP instruction trap at once instead of
#     silently corrupting another process's registers;
#   - takes a boot stack: hart h's is the BOOT_STACK bytes that end at
#     boot_stacks + (h + 1) * BOOT_STACK. The hart's scheduler runs on it
#     for good (each process has its own kernel stack, guest-os/proc.c).

#include "guest-os/param.h"

#define SSTATUS_FS 0x6000

.section .text.entry
.globl _entry
_entry:
    mv      tp, a0
    li      t0, MAX_HARTS
    bgeu    a0, t0, bad_hart

    # The lottery: amoswap returns the old value, 0 only for the first.
    la      t0, entry_taken
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, second_arrival

    # C expects .bss zeroed. Nobody else runs our code yet, except a
    # second arrival, which only reads .data below.
    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  la      t0, bss_clear
    li      t1, 1
    fence   rw, w
    sw      t1, 0(t0)

    call    hart_prepare
    # boot_main(hartid = a0, dtb = a1), guest-os/main.c: never returns.
    call    boot_main
    j       park

# A second hart came in through _entry: let the first one clear .bss
# (which holds our stack), then go the secondary harts' way.
second_arrival:
    la      t0, bss_clear
3:  lw      t1, 0(t0)
    beqz    t1, 3b
    fence   r, rw

.globl _secondary_entry
_secondary_entry:
    mv      tp, a0
    li      t0, MAX_HARTS
    bgeu    a0, t0, park
    call    hart_prepare
    # secondary_main(hartid = a0), guest-os/main.c: never returns.
    call    secondary_main
    j       park

# FPU off and sp = boot_stacks + (tp + 1) * BOOT_STACK. Touches t0 and
# t1 only, so a0 and a1 reach the C function called next.
hart_prepare:
    li      t0, SSTATUS_FS
    csrc    sstatus, t0
    la      sp, boot_stacks
    li      t0, BOOT_STACK
    addi    t1, tp, 1
    mul     t0, t0, t1
    add     sp, sp, t0
    ret

# The boot hart's id is one we have no stack for: C cannot run, so ask
# the firmware to power off with reason "system failure" (SBI SRST,
# chapter 10) rather than hang without a word.
bad_hart:
    li      a7, 0x53525354      # SRST
    li      a6, 0               # system_reset
    li      a0, 0               # type: shutdown
    li      a1, 1               # reason: system failure
    ecall
park:
    wfi
    j       park

# In .data, not .bss: a second arrival reads them while .bss is cleared.
.section .data
.balign 4
entry_taken:
    .word   0
bss_clear:
    .word   0

.section .bss
.balign 16
.globl boot_stacks
boot_stacks:
    .space  BOOT_STACK * MAX_HARTS
