// hyp/dev/virtio.h: what the virtio spec fixes, shared by the monitor's two
// virtio parts: its driver for the machine's real disk (hyp/dev/virtio_blk.c)
// and the disk it emulates for each VM (hyp/dev/vvirtio_blk.c).
//
// Where to read: Virtual I/O Device (VIRTIO) Version 1.2 (OASIS), the
// sections named below. Everything is little-endian, as RISC-V is, so the
// structures are used as they are.
//
// A virtio device is two things: a *transport*, the registers through
// which a driver finds, configures and notifies it (here virtio-mmio), and
// *virtqueues*, rings in the driver's memory through which requests and
// their answers travel (here split virtqueues).
#ifndef HYP_VIRTIO_H
#define HYP_VIRTIO_H

#include "kernel/types.h"

// ---- The virtio-mmio registers (4.2.2 "MMIO Device Register Layout") ----
//
// Version 2 (virtio 1.x, "modern"); every register is 32 bits wide and
// accessed 32 bits at a time. R = read-only, W = write-only.
//
//   0x000 R  MagicValue        0x74726976, "virt" in ASCII
//   0x004 R  Version           2 (1 is the legacy interface)
//   0x008 R  DeviceID          2 = block device (5 "Device Types"); 0 = none
//   0x00c R  VendorID
//   0x010 R  DeviceFeatures    32 feature bits, the set DeviceFeaturesSel picks
//   0x014 W  DeviceFeaturesSel 0: bits 0-31, 1: bits 32-63
//   0x020 W  DriverFeatures    the bits the driver accepts, likewise
//   0x024 W  DriverFeaturesSel
//   0x030 W  QueueSel          which virtqueue the Queue* registers mean
//   0x034 R  QueueNumMax       its largest size; 0: no such queue
//   0x038 W  QueueNum          the size the driver chose
//   0x044 RW QueueReady        1: the queue may be used
//   0x050 W  QueueNotify       "there is new work in queue <value>"
//   0x060 R  InterruptStatus   bit 0: used buffers, bit 1: config changed
//   0x064 W  InterruptACK      the bits the driver has handled
//   0x070 RW Status            device status (2.1), 0 = reset
//   0x080 W  QueueDescLow/High      guest-physical address of the
//   0x090 W  QueueDriverLow/High    descriptor table, available ring and
//   0x0a0 W  QueueDeviceLow/High    used ring (each as two 32-bit halves)
//   0x0ac W  SHMSel            shared memory regions (none here)
//   0x0b0 R  SHMLenLow/High    -1: no such region
//   0x0b8 R  SHMBaseLow/High
//   0x0fc R  ConfigGeneration  changes when the config space changes
//   0x100 RW config space      device-specific (5.2.4 for a block device)
#define VIRTIO_MMIO_MAGIC_VALUE       0x000
#define VIRTIO_MMIO_VERSION           0x004
#define VIRTIO_MMIO_DEVICE_ID         0x008
#define VIRTIO_MMIO_VENDOR_ID         0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES   0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES   0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL         0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX     0x034
#define VIRTIO_MMIO_QUEUE_NUM         0x038
#define VIRTIO_MMIO_QUEUE_READY       0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY      0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS  0x060
#define VIRTIO_MMIO_INTERRUPT_ACK     0x064
#define VIRTIO_MMIO_STATUS            0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW    0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH   0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW  0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW  0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL           0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW       0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH      0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW      0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH     0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG            0x100

#define VIRTIO_MMIO_MAGIC   0x74726976   // "virt", little-endian
#define VIRTIO_ID_BLOCK     2            // 5 "Device Types"

// InterruptStatus / InterruptACK bits (4.2.2).
#define VIRTIO_INT_USED     1    // the device used some buffers
#define VIRTIO_INT_CONFIG   2    // the configuration (or status) changed

// Device status bits (2.1 "Device Status Field"). A driver sets them in
// this order while it brings a device up (3.1.1 "Driver Requirements:
// Device Initialization"): ACKNOWLEDGE (I see a device), DRIVER (I can
// drive it), FEATURES_OK (feature negotiation done: the device clears the
// bit again if it disagrees), DRIVER_OK (ready). Writing 0 resets.
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64   // the device hit an error
#define VIRTIO_STATUS_FAILED      128  // the driver gave up

// Feature bits (6 "Reserved Feature Bits"). VERSION_1 says "virtio 1.x,
// not legacy"; a modern device must offer it and a driver accept it.
#define VIRTIO_F_VERSION_1  32
#define VIRTIO_F_EVENT_IDX  29   // used_event / avail_event (2.7.7.2, 2.7.10)
#define VIRTIO_BLK_F_FLUSH  9    // the disk has a write cache and FLUSH (5.2.3)

// ---- Split virtqueues (2.7 "Split Virtqueues") ----
//
// Three areas in the driver's memory, whose addresses the driver writes
// into QueueDesc/QueueDriver/QueueDevice; N is QueueNum:
//
//   descriptor table (16-byte aligned): N x struct virtq_desc
//       each names one buffer: addr, len, flags, and the next descriptor
//       of its chain (a request is one chain: NEXT set on all but the last)
//   available ring (2-byte aligned): driver -> device
//       le16 flags; le16 idx; le16 ring[N]; le16 used_event
//       ring[idx % N] = head of a chain; then idx++ (it only grows, and
//       wraps at 65536)
//   used ring (4-byte aligned): device -> driver
//       le16 flags; le16 idx; struct virtq_used_elem ring[N]; le16 avail_event
//       ring[idx % N] = {head, bytes written}; then idx++
//
// The device may read only device-readable buffers and write only
// device-writable ones (flag WRITE), and a chain lists all readable ones
// first (2.7.4.2).
struct virtq_desc {
  uint64_t addr;     // guest-physical address of the buffer
  uint32_t len;      // its length in bytes
  uint16_t flags;    // VIRTQ_DESC_F_*
  uint16_t next;     // the next descriptor, if flags has NEXT
};

#define VIRTQ_DESC_F_NEXT     1   // the chain goes on at `next`
#define VIRTQ_DESC_F_WRITE    2   // device-writable (else device-readable)
#define VIRTQ_DESC_F_INDIRECT 4   // a table of descriptors (2.7.5.3); needs
                                  // VIRTIO_F_INDIRECT_DESC, never offered here

// Notification suppression (2.7.7, 2.7.10): each side may tell the other
// that it need not be told. Without VIRTIO_F_EVENT_IDX, by a flag: the
// driver's "no interrupt, please" (avail flags), the device's "no
// notify, please" (used flags). With it, by an index: used_event (after
// the available ring) is the used idx at which the driver wants an
// interrupt, avail_event (after the used ring) the available idx at which
// the device wants a notify; the flags are then ignored.
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

// With VIRTIO_F_EVENT_IDX: the side that moved its idx from old to new
// tells the other if the other's event index is among the entries it
// added, [old, new) (2.7.7.2, 2.7.10; Linux's vring_need_event). All
// 16-bit arithmetic: the indexes wrap.
static inline bool vring_need_event(uint16_t event, uint16_t new, uint16_t old) {
  return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

// Offsets inside the two rings (le16 fields, see the drawing above).
#define VIRTQ_AVAIL_FLAGS   0
#define VIRTQ_AVAIL_IDX     2
#define VIRTQ_AVAIL_RING(i) (4 + 2 * (uint64_t)(i))
#define VIRTQ_USED_FLAGS    0
#define VIRTQ_USED_IDX      2
#define VIRTQ_USED_RING(i)  (4 + 8 * (uint64_t)(i))
#define VIRTQ_USED_EVENT(n)  VIRTQ_AVAIL_RING(n)   // after the n entries
#define VIRTQ_AVAIL_EVENT(n) VIRTQ_USED_RING(n)

struct virtq_used_elem {
  uint32_t id;       // head of the chain that was used
  uint32_t len;      // bytes the device wrote into its writable buffers
};

// ---- The block device (5.2 "Block Device") ----
//
// Its config space starts with its size, in 512-byte sectors whatever the
// real disk's block size (5.2.4):
#define VIRTIO_BLK_CFG_CAPACITY 0       // le64
#define VIRTIO_BLK_SECTOR       512

// A request is one chain (5.2.6): a device-readable header, the data
// (device-readable for a write, device-writable for a read), and one
// device-writable status byte at the very end.
struct virtio_blk_req {
  uint32_t type;     // VIRTIO_BLK_T_*
  uint32_t reserved;
  uint64_t sector;   // where, in 512-byte sectors
};

#define VIRTIO_BLK_T_IN     0    // read
#define VIRTIO_BLK_T_OUT    1    // write
#define VIRTIO_BLK_T_FLUSH  4    // make every finished write durable
#define VIRTIO_BLK_T_GET_ID 8    // the device's id string, 20 bytes
#define VIRTIO_BLK_ID_BYTES 20

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

// Order memory and device accesses: the rings must be written before the
// device is notified, and read only after it says it is done.
static inline void virtio_fence(void) {
  asm volatile("fence iorw, iorw" ::: "memory");
}

#endif
