// hyp/dev/diskq.h: the disk scheduler: the VMs' disk requests onto the real
// disk.
//
// Each VM's virtual disk (hyp/dev/vvirtio_blk.c) takes its guest's requests
// when the guest notifies it, and returns to the guest at once. This
// module feeds them to the real disk (hyp/dev/virtio_blk.c), which has
// VIRTIO_BLK_SLOTS requests in flight at most: a piece at a time (at most
// a few guest pages, so that no request, however big, holds the disk or a
// hart for long), round robin between the VMs that have work (fair
// sharing: one VM's flood does not starve another's small request), and
// hands back what the disk has done.
//
// Nothing interrupts the monitor when the real disk finishes (it asks for
// no interrupt: QEMU 7.2 does not deliver the disk's interrupt on every
// machine shape, see README). Instead every hart looks for finished
// requests whenever one of its vCPUs' traps is done (diskq_poll), and
// while requests are in flight one hart, the *disk watcher*, keeps its
// timer close: DISKQ_POLL_IDLE_US away in its idle loop's WFI (a vCPU is
// probably waiting for the disk), DISKQ_POLL_RUN_US while it runs a guest
// (each look costs the guest a trap). An idle hart sleeps in WFI either
// way: none spins.
//
// Locks, in the order they are taken: the disk scheduler's own lock
// (dq.lock in hyp/dev/diskq.c, not sched_lock), then a VM's dev_lock, then
// the real disk's lock (or sched_lock, when a finished request wakes a
// vCPU: mmio_irq_changed). The disk scheduler's lock covers which VMs are
// attached and the round robin's position.
#ifndef HYP_DISKQ_H
#define HYP_DISKQ_H

#include "kernel/types.h"

struct vm;

// How often the disk watcher looks for finished requests, at least:
// idle, and while it runs a guest.
#define DISKQ_POLL_IDLE_US 2
#define DISKQ_POLL_RUN_US 100

// The VM (which has a disk) may have its requests scheduled from now on.
// Called by vm_create when the VM is ready to run.
void diskq_attach(struct vm *vm);

// The VM has stopped: start none of its requests any more, and wait
// until its pieces in flight are done, so that nothing is written into
// its memory once it is freed and every write it was told is done is on
// the real disk before its region is used again. Called by vm_finish
// before it frees the VM's memory.
void diskq_drain(struct vm *vm);

// Reap what the real disk has finished, answer it, and start the next
// pieces, round robin. Bounded work: VIRTIO_BLK_SLOTS pieces each way at
// most. Any hart; the caller holds no lock.
void diskq_run(void);

// diskq_run if the real disk has finished something (one load when it
// has not: cheap enough for every trap). Any hart, no lock held.
void diskq_poll(void);

// The time (rdtime) by which this hart must look at the disk again, when
// it is the disk watcher and requests are in flight; else ~0: it need not.
// A hart that finds requests in flight and no watcher becomes it. idle:
// the hart is about to wait in WFI (else it is about to run a guest).
uint64_t diskq_deadline(bool idle);

#endif
