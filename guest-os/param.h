// guest-os/param.h: the kernel's fixed limits.
//
// Tables sized by these live in .bss, so the kernel needs no heap to
// boot. Raising one costs only memory.
#ifndef GUEST_OS_PARAM_H
#define GUEST_OS_PARAM_H

#define MAX_HARTS     16     // hart ids 0..15 (QEMU virt allows 16 here)
#define MAX_MEMRANGES 8      // RAM ranges from the device tree
#define MAX_RESERVED  16     // ranges of RAM that firmware keeps
#define NPROC         64     // processes at once, counting zombies
#define MAX_ARGS      16     // arguments to exec, counting argv[0]
#define MAX_ARGLEN    256    // bytes in one argument, with its NUL
#define PROC_NAME_LEN 16     // a process's name, for messages
#define HZ            100    // timer ticks per second: a 10 ms time slice
#define BOOT_STACK    8192   // each hart's scheduler stack, in bytes
#define USER_STACK_PAGES 4   // a process's stack: 16 KiB
#define NOFILE        16     // open file descriptors per process
#define NFILE         128    // open files in the whole system
#define NINODE        64     // inodes in use at once (in memory)
#define NBUF_MIN      112    // the fewest disk blocks the buffer cache holds
#define BCACHE_FRACTION 4    // its size: 1/4 of free memory (bcache.c)
#define TXN_MAX_BLOCKS 32    // blocks one transaction may change
#define MAX_PATH      128    // bytes in a path name, with its NUL

#endif
