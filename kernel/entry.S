# kernel/entry.S: the first instructions of the monitor, guest-os and
# splashos, which all enter the same way. Not assembled on its own: each
# image's entry.S defines the names below and then includes this file.
#
# The firmware (OpenSBI, or the monitor playing firmware for a VM) enters
# _entry in S-mode (HS-mode for the monitor), MMU off, interrupts off, with
#     a0 = this hart's id      a1 = physical address of the device tree
# (not the SBI spec's rule but the boot convention of OpenSBI, whose
# firmwares pass the next stage a0 = hart id and a1 = the FDT, and of the
# Linux RISC-V boot protocol; SBI HSM hart_start, spec 9.1, starts a hart
# the same way, with a1 = its opaque argument). Which hart comes first is
# the firmware's choice (OpenSBI 1.1 holds a lottery), so nothing here
# assumes hart 0. The other harts are started later with SBI HSM
# hart_start (SBI spec chapter 9) at _secondary_entry, with a0 = their id.
#
# "Only one hart enters _entry": on QEMU 7.2 with OpenSBI 1.1 two harts
# have been seen arriving in one boot (about one run in ten with four
# 1-hart nodes). So we hold a lottery of our own: the first hart to swap a
# 1 into boot_lottery boots the image; a later one waits until the winner
# has cleared .bss and then carries on as a secondary hart (the image's
# hart start-up copes with the "already started" answer hart_start then
# gives for it).
#
# The including file defines, before the #include:
#   ENTRY_MAX_HARTS       hart ids 0 .. ENTRY_MAX_HARTS-1 have a stack
#   ENTRY_BOOT_MAIN       the C function the boot hart calls:
#                         (hartid = a0, dtb = a1), never returns
#   ENTRY_SECONDARY_MAIN  the C function every other hart calls:
#                         (hartid = a0), never returns
#   ENTRY_STACKS          the name of the stacks array (in .bss, below)
#   ENTRY_STACK_SIZE      bytes of stack per hart: hart h's stack is the
#                         slice that ends at ENTRY_STACKS + (h + 1) *
#                         ENTRY_STACK_SIZE (stacks grow down)
# and, after it, the routine
#   entry_prepare_hart    anything else a hart needs before C (the FPU's
#                         state, say); it has its stack; it uses only t0
#                         and t1, so that a0 and a1 reach C unchanged.

.section .text.entry
.globl _entry
_entry:
    # Keep the hart id in tp for the image's whole life
    # (kernel/riscv.h: hart_id()).
    mv      tp, a0

    # A hart id we have no stack for: give up before touching memory.
    li      t0, ENTRY_MAX_HARTS
    bgeu    a0, t0, entry_bad_hart

    # The lottery. amoswap.w.aq returns the old value: 0 for the winner.
    la      t0, boot_lottery
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, entry_lost_lottery

    # Zero .bss: C expects its static variables to start at 0. No other
    # hart runs this image yet, except a lottery loser, which only reads
    # .data below.
    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    # Tell a lottery loser that .bss is ready.
    la      t0, bss_ready
    li      t1, 1
    fence   rw, w
    sw      t1, 0(t0)
    call    entry_set_stack
    call    entry_prepare_hart
    call    ENTRY_BOOT_MAIN
    j       entry_hang

# A second hart came in through _entry: wait for .bss, then go on below.
entry_lost_lottery:
    la      t0, bss_ready
3:  lw      t1, 0(t0)
    beqz    t1, 3b
    fence   r, rw

.globl _secondary_entry
_secondary_entry:
    mv      tp, a0
    li      t0, ENTRY_MAX_HARTS
    bgeu    a0, t0, entry_hang
    call    entry_set_stack
    call    entry_prepare_hart
    call    ENTRY_SECONDARY_MAIN
    j       entry_hang

# sp = ENTRY_STACKS + (tp + 1) * ENTRY_STACK_SIZE. Uses t0 and t1 only.
entry_set_stack:
    la      sp, ENTRY_STACKS
    li      t0, ENTRY_STACK_SIZE
    addi    t1, tp, 1
    mul     t0, t0, t1
    add     sp, sp, t0
    ret

# The boot hart's id is one we have no stack for: C cannot run, so ask
# the firmware to power off with reason "system failure" (SBI SRST,
# chapter 10) rather than hang without a word.
entry_bad_hart:
    li      a7, 0x53525354      # SRST
    li      a6, 0               # system_reset
    li      a0, 0               # type: shutdown
    li      a1, 1               # reason: system failure
    ecall
entry_hang:
    wfi
    j       entry_hang

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
.globl ENTRY_STACKS
ENTRY_STACKS:
    .space  ENTRY_STACK_SIZE * ENTRY_MAX_HARTS

.section .text
