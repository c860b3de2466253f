# guest-os/trapvec.S: the two trap vectors, and the way back to user mode.
#
# A trap (privileged spec 4.1: stvec, sepc, scause, stval, sscratch) jumps
# to the address in stvec, in S-mode, with interrupts off (sstatus.SIE is
# cleared, its old value kept in SPIE) and the trapped pc in sepc. We use
# two vectors, and keep stvec pointing at the right one:
#
#   user_vector    while a process runs in user mode
#   kernel_vector  while the kernel runs (interrupts are then off, except
#                  in the scheduler's idle wait, so it sees those
#                  interrupts and the kernel's own bugs)
#
# No satp switch on the way in or out: the kernel half of every address
# space is the same (guest-os/memlayout.h), so this code, the trap frame
# and the kernel stack are mapped whichever process's table is loaded. A
# system that maps the kernel apart from the processes (or not at all in
# their tables) needs a "trampoline" page mapped in both; we do not.

#include "guest-os/trapframe.h"

.section .text

# A trap from user mode. sscratch holds this process's trap frame.
.globl user_vector
.balign 4
user_vector:
    # Swap a0 and sscratch: a0 becomes the frame, the user's a0 waits in
    # sscratch until the other registers are safe.
    csrrw   a0, sscratch, a0
    sd      x1, TF_X(1)(a0)
    sd      x2, TF_X(2)(a0)
    sd      x3, TF_X(3)(a0)
    sd      x4, TF_X(4)(a0)
    sd      x5, TF_X(5)(a0)
    sd      x6, TF_X(6)(a0)
    sd      x7, TF_X(7)(a0)
    sd      x8, TF_X(8)(a0)
    sd      x9, TF_X(9)(a0)
    sd      x11, TF_X(11)(a0)
    sd      x12, TF_X(12)(a0)
    sd      x13, TF_X(13)(a0)
    sd      x14, TF_X(14)(a0)
    sd      x15, TF_X(15)(a0)
    sd      x16, TF_X(16)(a0)
    sd      x17, TF_X(17)(a0)
    sd      x18, TF_X(18)(a0)
    sd      x19, TF_X(19)(a0)
    sd      x20, TF_X(20)(a0)
    sd      x21, TF_X(21)(a0)
    sd      x22, TF_X(22)(a0)
    sd      x23, TF_X(23)(a0)
    sd      x24, TF_X(24)(a0)
    sd      x25, TF_X(25)(a0)
    sd      x26, TF_X(26)(a0)
    sd      x27, TF_X(27)(a0)
    sd      x28, TF_X(28)(a0)
    sd      x29, TF_X(29)(a0)
    sd      x30, TF_X(30)(a0)
    sd      x31, TF_X(31)(a0)
    csrr    t0, sscratch
    sd      t0, TF_X(10)(a0)
    csrr    t0, sepc
    sd      t0, TF_EPC(a0)

    # Become the kernel: its stack, the hart id in tp, its vector.
    ld      sp, TF_KERNEL_SP(a0)
    ld      tp, TF_HART(a0)
    la      t0, kernel_vector
    csrw    stvec, t0
    # user_trap(frame), guest-os/trap.c. It never returns: it leaves
    # through user_resume, perhaps much later and on another hart.
    call    user_trap
1:  j       1b

# user_resume(frame): load the user registers from the frame and sret to
# user mode. The caller (trap.c) has set stvec to user_vector and
# sstatus.SPP = 0 (return to U), SPIE = 1 (interrupts on there), with
# interrupts still off here.
.globl user_resume
user_resume:
    csrw    sscratch, a0
    ld      t0, TF_EPC(a0)
    csrw    sepc, t0
    ld      x1, TF_X(1)(a0)
    ld      x2, TF_X(2)(a0)
    ld      x3, TF_X(3)(a0)
    ld      x4, TF_X(4)(a0)
    ld      x5, TF_X(5)(a0)
    ld      x6, TF_X(6)(a0)
    ld      x7, TF_X(7)(a0)
    ld      x8, TF_X(8)(a0)
    ld      x9, TF_X(9)(a0)
    ld      x11, TF_X(11)(a0)
    ld      x12, TF_X(12)(a0)
    ld      x13, TF_X(13)(a0)
    ld      x14, TF_X(14)(a0)
    ld      x15, TF_X(15)(a0)
    ld      x16, TF_X(16)(a0)
    ld      x17, TF_X(17)(a0)
    ld      x18, TF_X(18)(a0)
    ld      x19, TF_X(19)(a0)
    ld      x20, TF_X(20)(a0)
    ld      x21, TF_X(21)(a0)
    ld      x22, TF_X(22)(a0)
    ld      x23, TF_X(23)(a0)
    ld      x24, TF_X(24)(a0)
    ld      x25, TF_X(25)(a0)
    ld      x26, TF_X(26)(a0)
    ld      x27, TF_X(27)(a0)
    ld      x28, TF_X(28)(a0)
    ld      x29, TF_X(29)(a0)
    ld      x30, TF_X(30)(a0)
    ld      x31, TF_X(31)(a0)
    ld      a0, TF_X(10)(a0)
    sret

# A trap while in S-mode. Save the registers a C function may clobber
# (the callee-saved ones the C code saves itself), handle, restore, and
# go back to where the trap hit: kernel_trap never switches processes,
# so sepc and sstatus are still this trap's when it returns.
.globl kernel_vector
.balign 4
kernel_vector:
    addi    sp, sp, -128
    sd      ra, 0(sp)
    sd      t0, 8(sp)
    sd      t1, 16(sp)
    sd      t2, 24(sp)
    sd      t3, 32(sp)
    sd      t4, 40(sp)
    sd      t5, 48(sp)
    sd      t6, 56(sp)
    sd      a0, 64(sp)
    sd      a1, 72(sp)
    sd      a2, 80(sp)
    sd      a3, 88(sp)
    sd      a4, 96(sp)
    sd      a5, 104(sp)
    sd      a6, 112(sp)
    sd      a7, 120(sp)
    call    kernel_trap
    ld      ra, 0(sp)
    ld      t0, 8(sp)
    ld      t1, 16(sp)
    ld      t2, 24(sp)
    ld      t3, 32(sp)
    ld      t4, 40(sp)
    ld      t5, 48(sp)
    ld      t6, 56(sp)
    ld      a0, 64(sp)
    ld      a1, 72(sp)
    ld      a2, 80(sp)
    ld      a3, 88(sp)
    ld      a4, 96(sp)
    ld      a5, 104(sp)
    ld      a6, 112(sp)
    ld      a7, 120(sp)
    addi    sp, sp, 128
    sret
