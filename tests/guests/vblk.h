// tests/guests/vblk.h: a small polled virtio-blk driver for test guests.
//
// The victim (tests/guests/victim.c) uses it to write and read back its
// disk; the hostile virtio guest (tests/guests/hostvirtio.c) uses its
// pieces to build rings and descriptors no driver should. Written from
// the virtio 1.2 spec (4.2 virtio-mmio, 2.7 split virtqueues, 5.2 block
// device), like tests/guests/blktest.c, not from the monitor's headers.
#ifndef TESTS_VBLK_H
#define TESTS_VBLK_H

#include "kernel/types.h"

// virtio-mmio registers (4.2.2), as offsets from the device's base.
#define VBLK_MAGIC       0x000
#define VBLK_VERSION     0x004
#define VBLK_DEVICE_ID   0x008
#define VBLK_DEV_FEAT_SEL 0x014
#define VBLK_DEV_FEAT    0x010
#define VBLK_DRV_FEAT    0x020
#define VBLK_DRV_FEAT_SEL 0x024
#define VBLK_QUEUE_SEL   0x030
#define VBLK_QUEUE_MAX   0x034
#define VBLK_QUEUE_NUM   0x038
#define VBLK_QUEUE_READY 0x044
#define VBLK_NOTIFY      0x050
#define VBLK_INT_STATUS  0x060
#define VBLK_INT_ACK     0x064
#define VBLK_STATUS      0x070
#define VBLK_DESC_LO     0x080
#define VBLK_DESC_HI     0x084
#define VBLK_AVAIL_LO    0x090
#define VBLK_AVAIL_HI    0x094
#define VBLK_USED_LO     0x0a0
#define VBLK_USED_HI     0x0a4
#define VBLK_CONFIG      0x100

#define VBLK_BASE 0x10001000UL      // QEMU virt's first virtio-mmio slot
#define VBLK_QN 8                   // our queue size
#define VBLK_F_NEXT  1              // descriptor flags (2.7.5)
#define VBLK_F_WRITE 2
#define VBLK_T_IN  0                // request types (5.2.6)
#define VBLK_T_OUT 1
#define VBLK_S_OK  0                // request statuses
#define VBLK_S_IOERR 1
#define VBLK_S_NEEDS_RESET 64       // device status bit (2.1)

struct vblk_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};
struct vblk_avail {
  uint16_t flags, idx, ring[VBLK_QN], used_event;
};
struct vblk_used {
  uint16_t flags, idx;
  struct {
    uint32_t id, len;
  } ring[VBLK_QN];
  uint16_t avail_event;
};
struct vblk_req {
  uint32_t type, reserved;
  uint64_t sector;
};

// The queue, in the guest's memory, for drivers that build their own.
extern struct vblk_desc vblk_desc[VBLK_QN];
extern volatile struct vblk_avail vblk_avail;
extern volatile struct vblk_used vblk_used;
extern uint64_t vblk_capacity;      // sectors, after vblk_init

uint32_t vblk_rd(int off);
void vblk_wr(int off, uint32_t v);

// Reset the device and bring it up with our queue 0, polled (no
// interrupts). True if every step worked.
bool vblk_init(void);

// Offer chain `head` and wait up to `seconds` for the device to put it on
// the used ring. Returns the used element's len, or -1 if it never came
// back (or came back with another head).
long vblk_submit(uint16_t head, int seconds);

// If set, vblk_submit calls this over and over while it waits (a test
// that does something while a request is in flight).
extern void (*vblk_waiting)(void);

// One request: len bytes at buf, to (write) or from sector `sector`.
// Returns the status byte the device wrote, or -1 if the request never
// came back or the used len is wrong.
int vblk_rw(bool write, uint64_t sector, void *buf, uint32_t len);

#endif
