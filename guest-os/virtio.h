// guest-os/virtio.h: what the virtio standard fixes, for the disk driver
// (guest-os/virtio_blk.c).
//
// Spec: "Virtual I/O Device (VIRTIO) Version 1.2" (OASIS; 1.1 says the
// same for everything here). Section numbers below are 1.2's. A virtio
// device comes in two parts:
//   - a transport, here virtio-mmio (4.2): a page of 32-bit registers at
//     an address the device tree gives, through which the driver finds
//     the device, agrees on features and tells it where its queues are;
//   - virtqueues, here "split" ones (2.7): rings in the driver's memory
//     through which requests go to the device and come back done.
// All numbers are little-endian, as RISC-V is, so the structures below
// are used as they are.
#ifndef GUEST_OS_VIRTIO_H
#define GUEST_OS_VIRTIO_H

#include "kernel/types.h"

// ---- virtio-mmio registers, version 2 (4.2.2) ----
//
//   0x000  MagicValue         reads 0x74726976 ("virt")
//   0x004  Version            2; 1 would be the pre-1.0 "legacy" layout
//   0x008  DeviceID           what sits in the slot: 2 a disk, 0 nothing
//   0x010  DeviceFeatures     32 of the device's feature bits ...
//   0x014  DeviceFeaturesSel  ... bits 0-31 if this is 0, 32-63 if 1
//   0x020  DriverFeatures     the bits the driver takes, likewise ...
//   0x024  DriverFeaturesSel  ... selected
//   0x030  QueueSel           the queue the Queue* registers speak of
//   0x034  QueueNumMax        its largest possible size
//   0x038  QueueNum           the size the driver picked
//   0x044  QueueReady         1: the driver has placed the queue
//   0x050  QueueNotify        write a queue's number: "new requests"
//   0x060  InterruptStatus    why the device interrupted (bit 0: it put
//                             requests on a used ring)
//   0x064  InterruptACK       write those bits back to lower the line
//   0x070  Status             the handshake (below); writing 0 resets
//   0x080  QueueDescLow/High    physical addresses of the queue's three
//   0x090  QueueDriverLow/High  parts, each as two 32-bit halves
//   0x0a0  QueueDeviceLow/High
//   0x0fc  ConfigGeneration   changes whenever the config space does
//   0x100  config space       the device type's own fields (5.2.4)
#define VIO_MAGIC          0x000
#define VIO_VERSION        0x004
#define VIO_DEVICE_ID      0x008
#define VIO_DEV_FEATURES   0x010
#define VIO_DEV_FEATURES_SEL 0x014
#define VIO_DRV_FEATURES   0x020
#define VIO_DRV_FEATURES_SEL 0x024
#define VIO_QUEUE_SEL      0x030
#define VIO_QUEUE_NUM_MAX  0x034
#define VIO_QUEUE_NUM      0x038
#define VIO_QUEUE_READY    0x044
#define VIO_QUEUE_NOTIFY   0x050
#define VIO_INT_STATUS     0x060
#define VIO_INT_ACK        0x064
// InterruptStatus's and InterruptACK's bits (4.2.2).
#define VIO_INT_USED       1            // a used buffer notification
#define VIO_INT_CONFIG     2            // the configuration changed
#define VIO_STATUS         0x070
#define VIO_QUEUE_DESC     0x080
#define VIO_QUEUE_DRIVER   0x090
#define VIO_QUEUE_DEVICE   0x0a0
#define VIO_CONFIG_GEN     0x0fc
#define VIO_CONFIG         0x100

#define VIRTIO_MAGIC       0x74726976
#define VIRTIO_DEV_BLOCK   2            // 5 "Device Types"

// The Status handshake (2.1, 3.1.1): the driver sets these bits one after
// the other while it brings the device up. FEATURES_OK is a question: the
// device clears it again if it cannot work with the features chosen.
#define VSTAT_ACKNOWLEDGE  1            // "I see you"
#define VSTAT_DRIVER       2            // "and I can drive you"
#define VSTAT_DRIVER_OK    4            // "I am ready: go"
#define VSTAT_FEATURES_OK  8            // "I take these features"
#define VSTAT_FAILED       128          // "I gave up"

// Feature bits this driver takes, when offered:
//   32 (6 "Reserved Feature Bits"): "this is virtio 1.x"; required.
//    9 (5.2.3): the disk has a write cache, and a FLUSH request empties
//      it. Without this feature the device must write each block through
//      to stable storage before answering (5.2.6.2), which on QEMU costs
//      a host fsync per request.
//   29 (2.7.7.2, 2.7.10): event indexes: each side says at which entry it
//      wants to be told, and is told of no other (each telling is a trap
//      in a VM).
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_EVENT_IDX 29   // used_event / avail_event (2.7.7.2, 2.7.10)
#define VIRTIO_BLK_F_FLUSH 9

// ---- A split virtqueue (2.7) ----
//
// Three areas of the driver's memory, for a queue of N entries:
//
//   descriptor table  N x struct vring_desc: each names one buffer; a
//                     request is a chain of them, linked by `next`
//   available ring    driver -> device: "here are chains to serve"
//                     flags, idx, ring[N]: ring[idx % N] = a chain's
//                     first descriptor; then idx goes up by one
//   used ring         device -> driver: "these chains are done"
//                     flags, idx, ring[N] of {first descriptor, bytes
//                     written}; again idx goes up by one each
//
// Both idx only ever grow (wrapping at 2^16): each side compares the
// other's idx with how far it has read. A chain lists its buffers the
// device reads before those it writes (2.7.4.2).
struct vring_desc {
  uint64_t addr;            // physical address of the buffer
  uint32_t len;             // its length
  uint16_t flags;           // VRING_F_*
  uint16_t next;            // the next descriptor, if VRING_F_NEXT
};

#define VRING_F_NEXT   1    // the chain goes on at `next`
#define VRING_F_WRITE  2    // the device writes this buffer (else reads)

// Telling the other side it need not tell us (2.7.7, 2.7.10). Without
// VIRTIO_F_EVENT_IDX, by flags: the available ring's "no need to
// interrupt me", the used ring's "no need to notify me". With it, by
// indexes (the flags are then ignored): the driver's used_event, after
// the available ring, is the used idx whose entry it wants an interrupt
// for; the device's avail_event, after the used ring, the available idx
// whose entry it wants a notify for.
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

// With VIRTIO_F_EVENT_IDX: one side moved its idx from old to new; the
// other wants to hear of it if its event index is among the entries
// added, [old, new) (2.7.10; Linux's vring_need_event). 16-bit
// arithmetic: the indexes wrap.
static inline bool vring_need_event(uint16_t event, uint16_t new, uint16_t old) {
  return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

struct vring_used_elem {
  uint32_t id;              // first descriptor of the chain done
  uint32_t len;             // bytes the device wrote into it
};

// ---- The block device (5.2) ----
//
// Config space (5.2.4): the disk's size in 512-byte sectors, a le64 at
// offset 0. A request is a chain of buffers (5.2.6):
//
//   +-------------------------+  device reads: what to do
//   | type, reserved, sector  |
//   +-------------------------+  the device writes them (T_IN) or reads
//   | data: whole sectors,    |  them (T_OUT); the sectors are
//   | in one or more buffers  |  consecutive on the disk; none for FLUSH
//   +-------------------------+  device writes: how it went
//   | status (1 byte)         |
//   +-------------------------+
#define VBLK_CAPACITY  0            // config space offset of capacity
#define VBLK_SECTOR    512

struct vblk_header {
  uint32_t type;            // VBLK_T_IN or VBLK_T_OUT
  uint32_t reserved;
  uint64_t sector;          // the first sector
};

#define VBLK_T_IN      0    // read from the disk
#define VBLK_T_OUT     1    // write to the disk
#define VBLK_T_FLUSH   4    // make every completed write durable
#define VBLK_S_OK      0    // the status byte: done

#endif
