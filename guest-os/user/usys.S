# guest-os/user/usys.S: the system call stubs.
#
# Each stub puts its call's number (guest-os/sysnum.h) in a7 and traps
# into the kernel with ecall; the arguments are already in a0..a5, where
# the C calling convention put them, and the result comes back in a0,
# where C expects it.

#include "guest-os/sysnum.h"

.macro STUB name, number
    .globl \name
\name:
    li      a7, \number
    ecall
    ret
.endm

.section .text
STUB fork,     SYS_fork
STUB exit,     SYS_exit
STUB wait,     SYS_wait
STUB kill,     SYS_kill
STUB getpid,   SYS_getpid
STUB sbrk,     SYS_sbrk
STUB sleep,    SYS_sleep
STUB uptime,   SYS_uptime
STUB read,     SYS_read
STUB write,    SYS_write
STUB exec,     SYS_exec
STUB poweroff, SYS_poweroff
STUB open,     SYS_open
STUB close,    SYS_close
STUB dup,      SYS_dup
STUB fstat,    SYS_fstat
STUB mkdir,    SYS_mkdir
STUB unlink,   SYS_unlink
STUB link,     SYS_link
STUB chdir,    SYS_chdir
STUB pipe,     SYS_pipe
STUB trywait,  SYS_trywait
STUB timebase, SYS_timebase
