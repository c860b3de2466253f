# hyp/cpu/switch.S: the world switch between the monitor and a guest.
#
# vcpu_enter(v) saves the monitor's callee-saved registers in v->host,
# loads the guest's registers and CSRs from v, and jumps into the guest
# with sret. With hstatus.SPV = 1 and sstatus.SPP = 1, sret goes to VS-mode
# (privileged spec 8.6.4, "Trap Return"). The guest runs until something
# traps to HS-mode; the trap lands on guest_trapvec, which saves the guest's
# registers back into v and "returns" from vcpu_enter into the monitor,
# just as an ordinary function call that took a while would return.
#
# While the guest runs, sscratch holds v, so that guest_trapvec can find
# it with one csrrw, without touching any guest register first.

#include "hyp/cpu/vcpu_offsets.h"
#include "kernel/riscv.h"        // CSR_HSTATUS

.globl vcpu_enter
vcpu_enter:
    # The monitor's side: what the C calling convention says survives a
    # call (ra, sp, s0-s11), plus gp and tp (the hart id).
    sd      ra, VCPU_HOST(0)(a0)
    sd      sp, VCPU_HOST(1)(a0)
    sd      gp, VCPU_HOST(2)(a0)
    sd      tp, VCPU_HOST(3)(a0)
    sd      s0, VCPU_HOST(4)(a0)
    sd      s1, VCPU_HOST(5)(a0)
    sd      s2, VCPU_HOST(6)(a0)
    sd      s3, VCPU_HOST(7)(a0)
    sd      s4, VCPU_HOST(8)(a0)
    sd      s5, VCPU_HOST(9)(a0)
    sd      s6, VCPU_HOST(10)(a0)
    sd      s7, VCPU_HOST(11)(a0)
    sd      s8, VCPU_HOST(12)(a0)
    sd      s9, VCPU_HOST(13)(a0)
    sd      s10, VCPU_HOST(14)(a0)
    sd      s11, VCPU_HOST(15)(a0)

    # Where the guest resumes, and how (SPV, SPP).
    ld      t0, VCPU_SEPC(a0)
    csrw    sepc, t0
    ld      t0, VCPU_HSTATUS(a0)
    csrw    CSR_HSTATUS, t0
    ld      t0, VCPU_SSTATUS(a0)
    csrw    sstatus, t0
    la      t0, guest_trapvec
    csrw    stvec, t0
    csrw    sscratch, a0

    # The guest's registers; a0 last, since it points at v.
    ld      x1, VCPU_X(1)(a0)
    ld      x2, VCPU_X(2)(a0)
    ld      x3, VCPU_X(3)(a0)
    ld      x4, VCPU_X(4)(a0)
    ld      x5, VCPU_X(5)(a0)
    ld      x6, VCPU_X(6)(a0)
    ld      x7, VCPU_X(7)(a0)
    ld      x8, VCPU_X(8)(a0)
    ld      x9, VCPU_X(9)(a0)
    ld      x11, VCPU_X(11)(a0)
    ld      x12, VCPU_X(12)(a0)
    ld      x13, VCPU_X(13)(a0)
    ld      x14, VCPU_X(14)(a0)
    ld      x15, VCPU_X(15)(a0)
    ld      x16, VCPU_X(16)(a0)
    ld      x17, VCPU_X(17)(a0)
    ld      x18, VCPU_X(18)(a0)
    ld      x19, VCPU_X(19)(a0)
    ld      x20, VCPU_X(20)(a0)
    ld      x21, VCPU_X(21)(a0)
    ld      x22, VCPU_X(22)(a0)
    ld      x23, VCPU_X(23)(a0)
    ld      x24, VCPU_X(24)(a0)
    ld      x25, VCPU_X(25)(a0)
    ld      x26, VCPU_X(26)(a0)
    ld      x27, VCPU_X(27)(a0)
    ld      x28, VCPU_X(28)(a0)
    ld      x29, VCPU_X(29)(a0)
    ld      x30, VCPU_X(30)(a0)
    ld      x31, VCPU_X(31)(a0)
    ld      x10, VCPU_X(10)(a0)
    sret

# Every trap taken while a guest runs comes here (stvec), in HS-mode.
.balign 4
guest_trapvec:
    # a0 <-> sscratch: now a0 = v, and sscratch holds the guest's a0.
    csrrw   a0, sscratch, a0
    sd      x1, VCPU_X(1)(a0)
    sd      x2, VCPU_X(2)(a0)
    sd      x3, VCPU_X(3)(a0)
    sd      x4, VCPU_X(4)(a0)
    sd      x5, VCPU_X(5)(a0)
    sd      x6, VCPU_X(6)(a0)
    sd      x7, VCPU_X(7)(a0)
    sd      x8, VCPU_X(8)(a0)
    sd      x9, VCPU_X(9)(a0)
    sd      x11, VCPU_X(11)(a0)
    sd      x12, VCPU_X(12)(a0)
    sd      x13, VCPU_X(13)(a0)
    sd      x14, VCPU_X(14)(a0)
    sd      x15, VCPU_X(15)(a0)
    sd      x16, VCPU_X(16)(a0)
    sd      x17, VCPU_X(17)(a0)
    sd      x18, VCPU_X(18)(a0)
    sd      x19, VCPU_X(19)(a0)
    sd      x20, VCPU_X(20)(a0)
    sd      x21, VCPU_X(21)(a0)
    sd      x22, VCPU_X(22)(a0)
    sd      x23, VCPU_X(23)(a0)
    sd      x24, VCPU_X(24)(a0)
    sd      x25, VCPU_X(25)(a0)
    sd      x26, VCPU_X(26)(a0)
    sd      x27, VCPU_X(27)(a0)
    sd      x28, VCPU_X(28)(a0)
    sd      x29, VCPU_X(29)(a0)
    sd      x30, VCPU_X(30)(a0)
    sd      x31, VCPU_X(31)(a0)
    csrr    t0, sscratch
    sd      t0, VCPU_X(10)(a0)

    csrr    t0, sepc
    sd      t0, VCPU_SEPC(a0)
    csrr    t0, CSR_HSTATUS
    sd      t0, VCPU_HSTATUS(a0)
    csrr    t0, sstatus
    sd      t0, VCPU_SSTATUS(a0)

    # Back to the monitor's own trap vector and registers.
    la      t0, hyp_trapvec
    csrw    stvec, t0
    ld      ra, VCPU_HOST(0)(a0)
    ld      sp, VCPU_HOST(1)(a0)
    ld      gp, VCPU_HOST(2)(a0)
    ld      tp, VCPU_HOST(3)(a0)
    ld      s0, VCPU_HOST(4)(a0)
    ld      s1, VCPU_HOST(5)(a0)
    ld      s2, VCPU_HOST(6)(a0)
    ld      s3, VCPU_HOST(7)(a0)
    ld      s4, VCPU_HOST(8)(a0)
    ld      s5, VCPU_HOST(9)(a0)
    ld      s6, VCPU_HOST(10)(a0)
    ld      s7, VCPU_HOST(11)(a0)
    ld      s8, VCPU_HOST(12)(a0)
    ld      s9, VCPU_HOST(13)(a0)
    ld      s10, VCPU_HOST(14)(a0)
    ld      s11, VCPU_HOST(15)(a0)
    # "Return" from vcpu_enter.
    ret
