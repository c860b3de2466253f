# guest-os/entry.S: the kernel's first instructions, on every hart.
#
# The firmware (OpenSBI, or the monitor when it plays firmware for a VM)
# enters _entry in S-mode, MMU off, interrupts off, with
#     a0 = this hart's id      a1 = physical address of the device tree
# (the boot convention kernel/entry.S describes). Which hart comes first is the firmware's choice
# (OpenSBI 1.1 holds a lottery), so nothing here assumes hart 0.
#
# The entry, with its boot-hart lottery (two harts have been seen entering
# _entry in one boot on QEMU 7.2 with OpenSBI 1.1), is shared with the
# monitor and splashos: kernel/entry.S, included below. The boot hart goes
# on to boot_main, the harts the boot hart starts with SBI HSM hart_start
# (SBI spec chapter 9) at _secondary_entry to secondary_main, both in
# guest-os/main.c (which makes a lottery loser wait until the kernel is
# ready for it).
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
#include "kernel/riscv.h"

#define ENTRY_MAX_HARTS      MAX_HARTS
#define ENTRY_BOOT_MAIN      boot_main
#define ENTRY_SECONDARY_MAIN secondary_main
#define ENTRY_STACKS         boot_stacks
#define ENTRY_STACK_SIZE     BOOT_STACK
#include "kernel/entry.S"

# The FPU off (sstatus.FS = 0). Uses t0 only.
entry_prepare_hart:
    li      t0, SSTATUS_FS
    csrc    sstatus, t0
    ret
