# tests/guests/start.S: entry and trap vector of the test guests.
#
# A guest kernel starts like any S-mode kernel: a0 = hart id, a1 = the
# device tree (from the monitor, playing firmware). Other vCPUs start at
# _secondary through SBI HSM hart_start, with a1 = the opaque value.

#define NHARTS 8
#define STACK 8192

.section .text.entry
.globl _start
_start:
    # The first 64 bytes are a Linux RISC-V "Image" header (Linux
    # Documentation/riscv/boot-image-header.rst), so that the same guest
    # can also be loaded as a flat image (objcopy -O binary): code0 jumps
    # over the header, and the monitor's loader recognises magic2.
    .option push
    .option norvc                   # a 4-byte jump: the fields are at
    j       _real_start             # fixed offsets (code0)
    .option pop
    .word   0                       # code1
    .dword  0x200000                # text_offset: RAM base + 2 MiB
    .dword  _end - _start           # image_size, .bss included
    .dword  0                       # flags: little-endian
    .word   2                       # version 0.2
    .word   0                       # res1
    .dword  0                       # res2
    .ascii  "RISCV\0\0\0"            # magic (deprecated)
    .ascii  "RSC\x05"                # magic2
    .word   0                       # res3
_real_start:
    mv      tp, a0
    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    set_stack
    call    guest_boot
3:  wfi
    j       3b

.globl _secondary
_secondary:
    mv      tp, a0
    call    set_stack
    call    guest_secondary
4:  wfi
    j       4b

set_stack:
    li      t0, NHARTS
    bgeu    tp, t0, 4b
    la      sp, stacks
    li      t0, STACK
    addi    t1, tp, 1
    mul     t0, t0, t1
    add     sp, sp, t0
    la      t0, guest_trapvec
    csrw    stvec, t0
    ret

# Traps: save the registers C may clobber, call guest_trap(), return.
.balign 4
guest_trapvec:
    addi    sp, sp, -144
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
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    call    guest_trap
    csrw    sepc, a0
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
    addi    sp, sp, 144
    sret

.section .bss
.balign 16
stacks:
    .space  STACK * NHARTS
