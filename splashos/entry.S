# splashos/entry.S: the first instructions of a splashos image.
#
# The image is entered exactly like the monitor (hyp/boot/entry.S), so that the
# same binary boots on the bare machine and, later, as a guest of the
# monitor (Disco section 4.4: SPLASHOS runs unchanged on either). The
# firmware (OpenSBI, or the monitor playing firmware) enters at _entry in
# S-mode with the MMU off and
#     a0 = this hart's id       a1 = physical address of the device tree
# (the boot convention kernel/entry.S describes). The boot hart is whichever one
# OpenSBI's lottery picked, not necessarily hart 0. The other harts stay
# stopped until splashos/thread.c starts them with SBI HSM hart_start
# (SBI spec chapter 9) at _secondary_entry, with a0 = their id.
#
# The entry, with the boot-hart lottery (two harts have been seen to
# arrive at _entry in one boot on QEMU 7.2 with OpenSBI 1.1), is shared
# with the monitor and guest-os: kernel/entry.S, included below. The boot
# hart goes on to splash_main (splashos/main.c), the others to
# thread_secondary (splashos/thread.c, which copes with the "already
# started" answer hart_start gives for a lottery loser).
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
#include "kernel/riscv.h"

#define ENTRY_MAX_HARTS      MAX_HARTS
#define ENTRY_BOOT_MAIN      splash_main
#define ENTRY_SECONDARY_MAIN thread_secondary
#define ENTRY_STACKS         stacks
#define ENTRY_STACK_SIZE     STACK_SIZE
#include "kernel/entry.S"

# The FPU on (state "Initial"). Uses t0 only.
entry_prepare_hart:
    li      t0, SSTATUS_FS_INITIAL
    csrs    sstatus, t0
    ret
