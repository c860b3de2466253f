# guest-os/program_images.S: the user programs, built into the kernel image
# (see guest-os/programs.h).
#
# program_list.inc is written by guest-os/guest-os.mk: one line per program,
#     PROGRAM init, "build/guest-os/user/init.strip"
# and each line below puts that file's bytes in .rodata (.incbin) and an
# entry {name, start, end} in program_table, which matches struct program.

.macro PROGRAM name, file
    .section .rodata.program_files, "a"
    .balign 8
1:  .incbin "\file"
2:
    .section .rodata.program_names, "a"
3:  .asciz "\name"
    .section .rodata.program_table, "a"
    .dword 3b, 1b, 2b
.endm

    .section .rodata.program_table, "a"
    .balign 8
    .globl program_table
program_table:
#include "program_list.inc"
    .section .rodata.program_table, "a"
    .globl program_table_end
program_table_end:
