// guest-os/disk.h: the disk, as the buffer cache sees it.
//
// One disk, a virtio-blk device (guest-os/virtio_blk.c), read and written
// in 4 KiB blocks: block b is the disk's sectors 8b .. 8b + 7. The
// caller's process sleeps while its request is in flight, and others
// run; the device's interrupt wakes it. On a machine whose interrupt
// controller we do not drive (QEMU's AIA APLIC), or whose PLIC never
// delivers the disk's interrupt, the caller polls instead.
#ifndef GUEST_OS_DISK_H
#define GUEST_OS_DISK_H

#include "kernel/types.h"

// Look for a virtio-blk device in the device tree's virtio-mmio slots and
// bring the first one up. Boot hart, once, before any process runs. No
// disk is no error: disk_blocks() is then 0.
void disk_init(void);

// The disk's size in whole 4 KiB blocks; 0 when there is no disk.
uint64_t disk_blocks(void);

// Read block `block` into `page` (write = false) or write `page` to it
// (write = true). `page` is one page-aligned page of kernel memory. Runs
// in a process, which sleeps until the device is done. A block beyond the
// disk, or an error status from the device, is a kernel bug: panic.
void disk_rw(void *page, uint64_t block, bool write);

// disk_rw's read, into a page that is no buffer's (guest-os/bcache.h:
// bread_page, for exec's program text): counted apart at power off,
// since those are the reads a Disco-V monitor may answer with a shared
// machine page rather than a copy (Disco 4.2.5).
void disk_read_straight(void *page, uint64_t block);

// The same for n consecutive blocks, first .. first + n - 1, each in a
// page of its own (pages[i]). They go to the device in as few requests as
// its queue allows, all in flight at once: much faster than n disk_rw()s.
void disk_rw_run(void *const pages[], uint64_t first, int n, bool write);

// Make every write that has completed so far durable: a write may sit in
// the disk's cache, and reach the medium later or in another order, until
// a flush. (No-op on a disk without a write cache, which writes through.)
void disk_flush(void);

// Print what the disk did, on one line (at power off):
//   guest-os: disk: 120 blocks read, 3400 written, 90 flushes, 30 read straight
// (the last: how many of the reads went straight into exec's pages).
void disk_print_stats(void);

// A timer tick, on any hart (guest-os/timer.c): notice a device whose
// interrupts never arrive, and poll it from then on.
void disk_tick(void);

// The device's interrupt (from guest-os/plic.c): finish every request it
// has completed and wake their processes.
void disk_interrupt(void);

#endif
