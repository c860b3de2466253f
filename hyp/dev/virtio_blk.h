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
// The driver is as simple as a driver can be: one request at a time, and
// the monitor waits for it by polling the used ring (it takes no device
// interrupts). Good enough for a teaching monitor; a real one would queue
// requests and let the guest run meanwhile.
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

// Read (write = false) or write nsectors 512-byte sectors at `sector`,
// into or from buf: monitor memory, physically contiguous (the monitor
// runs with the MMU off, so any buffer of its own is). Waits until the
// disk is done; safe from any hart. Returns 0, or -1 if there is no disk,
// the range is beyond its end, or the disk reports an error.
int virtio_blk_rw(uint64_t sector, void *buf, uint32_t nsectors, bool write);

// Does the disk have a write cache (VIRTIO_BLK_F_FLUSH agreed)? Then a
// write may sit in the host's cache until a flush.
bool virtio_blk_has_flush(void);

// Make every write done so far durable (a VIRTIO_BLK_T_FLUSH request; on
// a write-through disk, nothing to do). Returns 0, or -1 if there is no
// disk or it reports an error.
int virtio_blk_flush(void);

#endif
