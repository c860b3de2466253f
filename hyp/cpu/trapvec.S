# hyp/cpu/trapvec.S: where a trap taken in HS-mode, while the monitor itself
# runs, lands (stvec points here).
#
# It saves every general-purpose register in a struct trapframe on the
# current stack, calls hyp_trap(frame) in hyp/cpu/trap.c, restores the
# registers (the C code may have changed some, e.g. sepc) and returns with
# sret. Register layout: frame->x[i] is register xi, at offset 8 * i;
# x[0] (the zero register) holds sepc instead.
#
# Traps from guests come through a different door, guest_trapvec in
# hyp/cpu/switch.S (the vCPU world switch), since they must save the
# guest's registers, not ours.

.globl hyp_trapvec
.balign 4                      # stvec's low bits are the mode: direct = 0
hyp_trapvec:
    addi    sp, sp, -256
    sd      x1, 8(sp)
    # x2 is sp: save the value it had before the trap.
    sd      x3, 24(sp)
    sd      x4, 32(sp)
    sd      x5, 40(sp)
    sd      x6, 48(sp)
    sd      x7, 56(sp)
    sd      x8, 64(sp)
    sd      x9, 72(sp)
    sd      x10, 80(sp)
    sd      x11, 88(sp)
    sd      x12, 96(sp)
    sd      x13, 104(sp)
    sd      x14, 112(sp)
    sd      x15, 120(sp)
    sd      x16, 128(sp)
    sd      x17, 136(sp)
    sd      x18, 144(sp)
    sd      x19, 152(sp)
    sd      x20, 160(sp)
    sd      x21, 168(sp)
    sd      x22, 176(sp)
    sd      x23, 184(sp)
    sd      x24, 192(sp)
    sd      x25, 200(sp)
    sd      x26, 208(sp)
    sd      x27, 216(sp)
    sd      x28, 224(sp)
    sd      x29, 232(sp)
    sd      x30, 240(sp)
    sd      x31, 248(sp)
    addi    t0, sp, 256
    sd      t0, 16(sp)         # the sp of the interrupted code
    csrr    t0, sepc
    sd      t0, 0(sp)

    mv      a0, sp
    call    hyp_trap

    ld      t0, 0(sp)
    csrw    sepc, t0
    ld      x1, 8(sp)
    ld      x3, 24(sp)
    # x4 is tp, the hart id: never changes, but restore it all the same.
    ld      x4, 32(sp)
    ld      x5, 40(sp)
    ld      x6, 48(sp)
    ld      x7, 56(sp)
    ld      x8, 64(sp)
    ld      x9, 72(sp)
    ld      x10, 80(sp)
    ld      x11, 88(sp)
    ld      x12, 96(sp)
    ld      x13, 104(sp)
    ld      x14, 112(sp)
    ld      x15, 120(sp)
    ld      x16, 128(sp)
    ld      x17, 136(sp)
    ld      x18, 144(sp)
    ld      x19, 152(sp)
    ld      x20, 160(sp)
    ld      x21, 168(sp)
    ld      x22, 176(sp)
    ld      x23, 184(sp)
    ld      x24, 192(sp)
    ld      x25, 200(sp)
    ld      x26, 208(sp)
    ld      x27, 216(sp)
    ld      x28, 224(sp)
    ld      x29, 232(sp)
    ld      x30, 240(sp)
    ld      x31, 248(sp)
    addi    sp, sp, 256
    sret
