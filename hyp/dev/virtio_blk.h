// hyp/dev/virtio_blk.h: the monitor's driver for the machine's real disk.
//
// QEMU gives the machine a virtio-blk disk when it is run with
//   -drive file=disk.img,if=none,format=raw,id=hd0
//   -device virtio-blk-device,drive=hd0
//   -global virtio-mmio.force-legacy=false      (virtio 1.x, not legacy)
// (tools/qemu.py --disk adds these). The monitor drives that disk itself:
// Disco's virtual disks are backed by the real one, each VM's virtual
// disk (hyp/dev/vvirtio_blk.c) being a region of it.
//
// The driver keeps up to VIRTIO_BLK_SLOTS requests in flight at once, so
// that the host can work on several (QEMU's disk does them in parallel),
// and never waits for one: a caller submits a request and later reaps
// it, done. The monitor takes no interrupt from the disk (QEMU 7.2 does
// not deliver it on every machine shape, see README); it looks for
// finished requests from its idle loop and whenever a vCPU's trap is
// over (hyp/dev/diskq.c, which schedules the VMs' requests onto these slots).
#ifndef HYP_VIRTIO_BLK_H
#define HYP_VIRTIO_BLK_H

#include "kernel/types.h"

// Find the disk among the machine's virtio-mmio slots (machine.virtio[])
// and bring it up (virtio 1.2, 3.1.1). Prints what it found, or
// "virtio-blk: no disk" (which is not an error: VMs without disks still
// run). Call once, on the boot hart, after memmap_boot.
void virtio_blk_init(void);

// The disk's size in 512-byte sectors; 0 when there is no usable disk.
uint64_t virtio_blk_capacity(void);

#define VIRTIO_BLK_SLOTS 8      // requests in flight at most
#define VIRTIO_BLK_MAX_SEGS 6   // data buffers per request, at most

// One request to the real disk, as its submitter fills it in. The
// buffers are machine addresses (the monitor runs with the MMU off), each
// one physically contiguous; their lengths add up to whole sectors.
struct virtio_blk_io {
  uint32_t type;                // VIRTIO_BLK_T_IN, _OUT or _FLUSH
  uint64_t sector;              // first sector (not for a flush)
  int nseg;                     // data buffers (0 for a flush)
  struct {
    uint64_t pa;
    uint32_t len;
  } seg[VIRTIO_BLK_MAX_SEGS];
  int result;                   // set when reaped: 0 done, -1 failed
  uint64_t submitted;           // rdtime at submission
};

// Hand io to the disk. Returns 0: it is in flight, and io must stay
// where it is, untouched, until virtio_blk_reap returns it. Returns -1,
// with nothing in flight, if all slots are taken, there is no disk, or
// the sectors are beyond its end. Safe from any hart.
int virtio_blk_submit(struct virtio_blk_io *io);

// Collect up to max requests the disk has finished since the last call,
// into done[], with their result set; returns how many. A request the
// disk has not finished within a few seconds means the disk is gone: it
// is given up (every request in flight comes back failed, with a
// message, and later submissions fail). Safe from any hart.
int virtio_blk_reap(struct virtio_blk_io **done, int max);

// Has the disk finished a request not yet reaped? Cheap (one load, no
// lock), for the trap path to decide whether to reap at all.
bool virtio_blk_done_waiting(void);

// How many requests are in flight (submitted, not yet reaped).
int virtio_blk_inflight(void);

// Does the disk have a write cache (VIRTIO_BLK_F_FLUSH agreed)? Then a
// write may sit in the host's cache until a flush.
bool virtio_blk_has_flush(void);

#endif
