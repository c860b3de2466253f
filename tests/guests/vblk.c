// tests/guests/vblk.c: a small polled virtio-blk driver (see vblk.h).
#include "kernel/riscv.h"
#include "kernel/string.h"
#include "tests/guests/vblk.h"

#define S_ACK 1                     // device status bits (2.1)
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define AVAIL_NO_INTERRUPT 1        // avail.flags (2.7.7)

struct vblk_desc vblk_desc[VBLK_QN] __attribute__((aligned(16)));
volatile struct vblk_avail vblk_avail __attribute__((aligned(4096)));
volatile struct vblk_used vblk_used __attribute__((aligned(4096)));
uint64_t vblk_capacity;
void (*vblk_waiting)(void);
static uint16_t used_seen;
static struct vblk_req hdr;
static volatile uint8_t status;

static volatile uint32_t *const regs = (volatile uint32_t *)VBLK_BASE;

uint32_t vblk_rd(int off) { return regs[off / 4]; }
void vblk_wr(int off, uint32_t v) { regs[off / 4] = v; }
static void io_fence(void) { asm volatile("fence iorw, iorw" ::: "memory"); }

bool vblk_init(void) {
  if (vblk_rd(VBLK_MAGIC) != 0x74726976 || vblk_rd(VBLK_DEVICE_ID) != 2)
    return false;
  vblk_wr(VBLK_STATUS, 0);
  memset((void *)&vblk_avail, 0, sizeof(vblk_avail));
  memset((void *)&vblk_used, 0, sizeof(vblk_used));
  used_seen = 0;
  vblk_wr(VBLK_STATUS, S_ACK);
  vblk_wr(VBLK_STATUS, S_ACK | S_DRIVER);
  vblk_wr(VBLK_DRV_FEAT_SEL, 0);
  vblk_wr(VBLK_DRV_FEAT, 0);
  vblk_wr(VBLK_DRV_FEAT_SEL, 1);
  vblk_wr(VBLK_DRV_FEAT, 1);                    // VERSION_1 (bit 32)
  vblk_wr(VBLK_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
  if ((vblk_rd(VBLK_STATUS) & S_FEATURES_OK) == 0)
    return false;
  vblk_wr(VBLK_QUEUE_SEL, 0);
  if (vblk_rd(VBLK_QUEUE_MAX) < VBLK_QN)
    return false;
  vblk_wr(VBLK_QUEUE_NUM, VBLK_QN);
  vblk_wr(VBLK_DESC_LO, (uint32_t)(uint64_t)vblk_desc);
  vblk_wr(VBLK_DESC_HI, (uint32_t)((uint64_t)vblk_desc >> 32));
  vblk_wr(VBLK_AVAIL_LO, (uint32_t)(uint64_t)&vblk_avail);
  vblk_wr(VBLK_AVAIL_HI, (uint32_t)((uint64_t)&vblk_avail >> 32));
  vblk_wr(VBLK_USED_LO, (uint32_t)(uint64_t)&vblk_used);
  vblk_wr(VBLK_USED_HI, (uint32_t)((uint64_t)&vblk_used >> 32));
  vblk_wr(VBLK_QUEUE_READY, 1);
  vblk_wr(VBLK_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
  vblk_capacity = vblk_rd(VBLK_CONFIG) | (uint64_t)vblk_rd(VBLK_CONFIG + 4) << 32;
  vblk_avail.flags = AVAIL_NO_INTERRUPT;        // we poll
  return vblk_rd(VBLK_QUEUE_READY) == 1;
}

long vblk_submit(uint16_t head, int seconds) {
  vblk_avail.ring[vblk_avail.idx % VBLK_QN] = head;
  io_fence();
  vblk_avail.idx = vblk_avail.idx + 1;
  io_fence();
  vblk_wr(VBLK_NOTIFY, 0);
  uint64_t end = rdtime() + 10000000UL * (uint64_t)seconds;   // 10 MHz
  while (vblk_used.idx == used_seen) {
    if (rdtime() > end)
      return -1;
    if (vblk_waiting != NULL)
      vblk_waiting();
  }
  io_fence();
  uint32_t id = vblk_used.ring[used_seen % VBLK_QN].id;
  uint32_t len = vblk_used.ring[used_seen % VBLK_QN].len;
  used_seen++;
  return id == head ? (long)len : -1;
}

int vblk_rw(bool write, uint64_t sector, void *buf, uint32_t len) {
  hdr = (struct vblk_req){write ? VBLK_T_OUT : VBLK_T_IN, 0, sector};
  status = 0xee;
  vblk_desc[0] = (struct vblk_desc){(uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 1};
  vblk_desc[1] = (struct vblk_desc){(uint64_t)buf, len,
                                    VBLK_F_NEXT | (write ? 0 : VBLK_F_WRITE), 2};
  vblk_desc[2] = (struct vblk_desc){(uint64_t)&status, 1, VBLK_F_WRITE, 0};
  // Generous: the device may be busy with another VM's huge request.
  long used = vblk_submit(0, 60);
  if (used != (write ? 1 : (long)len + 1))
    return -1;
  return status;
}
