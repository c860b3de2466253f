// tests/guests/hostvirtio.c: a hostile guest that feeds its virtio-blk
// disk rings and descriptors no driver should (tests/system/test_hostile.py).
//
// bootargs "attack=malformed": one request after another that the
// device must refuse (an error status, or the chain back unused with
// length 0, or "needs reset" for a broken ring) without touching anything
// but this VM's own memory and disk region: descriptor loops, next and
// head indices past the queue, buffers past RAM or wrapping around,
// lengths whose sum overflows 32 bits, zero-length transfers, sectors
// past the region (one that would wrap around onto the sector before
// it), readable after writable buffers, indirect descriptors, a read
// into the rings themselves, rings in a device's registers or straddling
// the end of RAM, queue sizes of 0, 3 and 65535, an available index far
// ahead, notifies of queues that do not exist, junk in every register
// that takes a write. After each group the device is reset and must
// still serve a good write and read: "check works-after-<group>".
//
// bootargs "attack=huge": requests as big as the device allows, forever:
// four chains, each reading the VM's whole region (disk-mib, up to
// 28 MiB) into its RAM, then one QueueNotify; its second vCPU notifies
// too. Each notify is one trap; the monitor must not let it hold a hart
// (or the machine's disk) for long (issue 10, finding 3).
#include "kernel/string.h"
#include "tests/guests/guest.h"
#include "tests/guests/vblk.h"

#define RAM 0x80000000UL
#define T_GET_ID 8
#define T_FLUSH 4
#define F_INDIRECT 4
#define S_UNSUPP 2

extern char _end[];                     // guest.ld: the end of our image

static struct vblk_req hdr;
static volatile uint8_t status;
static uint8_t buf[4096] __attribute__((aligned(4096)));
static uint64_t ram_end;

// Descriptor i.
static void d(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
  vblk_desc[i] = (struct vblk_desc){addr, len, flags, next};
}

// A 3-descriptor request (header, data, status) of `type` at `sector`.
static long req3(uint32_t type, uint64_t sector, uint64_t addr, uint32_t len,
                 bool dev_writes) {
  hdr = (struct vblk_req){type, 0, sector};
  status = 0xee;
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 1);
  d(1, addr, len, VBLK_F_NEXT | (dev_writes ? VBLK_F_WRITE : 0), 2);
  d(2, (uint64_t)&status, 1, VBLK_F_WRITE, 0);
  return vblk_submit(0, 5);
}

// Reset, bring up again, and check that a good write and read work.
static void works(const char *group) {
  char name[48];
  snprintf(name, sizeof(name), "works-after-%s", group);
  bool ok = vblk_init();
  memset(buf, 0x5a, 512);
  ok = ok && vblk_rw(true, 3, buf, 512) == VBLK_S_OK;
  memset(buf, 0, 512);
  ok = ok && vblk_rw(false, 3, buf, 512) == VBLK_S_OK && buf[0] == 0x5a && buf[511] == 0x5a;
  check(name, ok, (long)vblk_rd(VBLK_STATUS));
}

// Chains the device cannot walk: back unused, with length 0.
static void bad_chains(void) {
  hdr = (struct vblk_req){VBLK_T_IN, 0, 0};
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 0);          // 0 -> 0 -> ...
  check("self-loop", vblk_submit(0, 5) == 0, 0);
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 200);        // next past the queue
  check("next-past-queue", vblk_submit(0, 5) == 0, 0);
  check("head-past-queue", vblk_submit(100, 5) == 0, 0);
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 1);
  d(1, (uint64_t)buf, 512, VBLK_F_WRITE | VBLK_F_NEXT, 2);
  d(2, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 3);         // readable after writable
  d(3, (uint64_t)&status, 1, VBLK_F_WRITE, 0);
  check("readable-after-writable", vblk_submit(0, 5) == 0, 0);
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT | F_INDIRECT, 1);
  check("indirect", vblk_submit(0, 5) == 0, 0);
  for (int i = 0; i < 7; i++)                                   // in_len > 4 GiB
    d(i + 1, RAM, 0x80000000u, VBLK_F_WRITE | (i < 6 ? VBLK_F_NEXT : 0), (uint16_t)(i + 2));
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 1);
  check("lengths-overflow", vblk_submit(0, 5) == 0, 0);
  d(0, (uint64_t)&hdr, sizeof(hdr), 0, 0);                      // no writable byte
  check("no-status-byte", vblk_submit(0, 5) == 0, 0);
  works("chains");
}

// Refused: back with an error status, or back unused (length 0, status
// byte untouched) when the device cannot walk the chain.
static bool refused(long used) {
  return (used == 1 && status == VBLK_S_IOERR) || (used == 0 && status == 0xee);
}

// Chains it can walk, with buffers or sectors it must refuse.
static void bad_buffers(void) {
  check("huge-len", refused(req3(VBLK_T_IN, 0, (uint64_t)buf, 0xffffffffu, true)), status);
  check("past-ram", req3(VBLK_T_IN, 0, ram_end - 100, 512, true) == 1 &&
        status == VBLK_S_IOERR, status);
  check("wraps", req3(VBLK_T_IN, 0, ~0UL - 255, 512, true) == 1 &&
        status == VBLK_S_IOERR, status);
  check("device-regs", req3(VBLK_T_IN, 0, VBLK_BASE, 512, true) == 1 &&
        status == VBLK_S_IOERR, status);
  check("past-region", req3(VBLK_T_OUT, vblk_capacity, (uint64_t)buf, 512, false) == 1 &&
        status == VBLK_S_IOERR, status);
  // Sector 2^64 - 8192: added to a region's first sector (8192, after the
  // victim's 4 MiB), it would wrap around to sector 0, the victim's.
  check("sector-wraps", req3(VBLK_T_OUT, ~0UL - 8191, (uint64_t)buf, 512, false) == 1 &&
        status == VBLK_S_IOERR, status);
  check("sector-huge", req3(VBLK_T_OUT, 1UL << 63, (uint64_t)buf, 512, false) == 1 &&
        status == VBLK_S_IOERR, status);
  check("zero-read", req3(VBLK_T_IN, 0, (uint64_t)buf, 0, true) >= 0, status);
  hdr = (struct vblk_req){VBLK_T_OUT, 0, 0};                    // header + status
  d(0, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, 1);
  d(1, (uint64_t)&status, 1, VBLK_F_WRITE, 0);
  check("zero-write", vblk_submit(0, 5) >= 0, status);
  check("unknown-type", req3(0xffffffffu, 0, (uint64_t)buf, 512, true) == 1 &&
        status == S_UNSUPP, status);
  check("flush-not-agreed", req3(T_FLUSH, 0, (uint64_t)buf, 0, true) >= 0 &&
        status == S_UNSUPP, status);
  check("get-id-no-room", req3(T_GET_ID, 0, (uint64_t)buf, 0, true) >= 0, status);
  // A read into the descriptor table and the used ring themselves: the
  // device copied the chain before it moved any data.
  check("read-into-descs", req3(VBLK_T_IN, 0, (uint64_t)vblk_desc, 512, true) >= 0, status);
  vblk_init();
  check("read-into-used", req3(VBLK_T_IN, 0, (uint64_t)&vblk_used, 512, true) >= -1, status);
  works("buffers");
}

// Place the queue's areas where they should not be, then notify.
static void place(uint64_t desc, uint64_t avail, uint64_t used, uint32_t num) {
  vblk_wr(VBLK_STATUS, 0);
  vblk_wr(VBLK_STATUS, 1 | 2);
  vblk_wr(VBLK_DRV_FEAT_SEL, 1);
  vblk_wr(VBLK_DRV_FEAT, 1);
  vblk_wr(VBLK_STATUS, 1 | 2 | 8);
  vblk_wr(VBLK_QUEUE_SEL, 0);
  vblk_wr(VBLK_QUEUE_NUM, num);
  vblk_wr(VBLK_DESC_LO, (uint32_t)desc);
  vblk_wr(VBLK_DESC_HI, (uint32_t)(desc >> 32));
  vblk_wr(VBLK_AVAIL_LO, (uint32_t)avail);
  vblk_wr(VBLK_AVAIL_HI, (uint32_t)(avail >> 32));
  vblk_wr(VBLK_USED_LO, (uint32_t)used);
  vblk_wr(VBLK_USED_HI, (uint32_t)(used >> 32));
  vblk_wr(VBLK_QUEUE_READY, 1);
  vblk_wr(VBLK_STATUS, 1 | 2 | 8 | 4);
  vblk_wr(VBLK_NOTIFY, 0);
}

// The queue's areas, size or index where they cannot be.
static void bad_rings(void) {
  uint64_t dsc = (uint64_t)vblk_desc, av = (uint64_t)&vblk_avail, us = (uint64_t)&vblk_used;
  vblk_avail.idx = 1;
  vblk_avail.ring[0] = 0;
  place(VBLK_BASE, av, us, VBLK_QN);                    // descriptors in the device
  place(dsc, 0x10000000UL, us, VBLK_QN);                // available ring in the UART
  place(dsc, av, ram_end - 4, VBLK_QN);                 // used ring across RAM's end
  place(dsc, av, ~0UL - 3, VBLK_QN);                    // used ring wraps around
  place(dsc, av, us, 0);                                // no queue
  place(dsc, av, us, 3);                                // not a power of 2
  place(dsc, av, us, 65535);                            // bigger than offered
  place(dsc + 1, av + 1, us + 2, VBLK_QN);              // misaligned areas
  place(dsc, av, av, VBLK_QN);                          // used ring = available ring
  works("rings");
  vblk_avail.idx = vblk_avail.idx + 1000;               // index far ahead
  vblk_wr(VBLK_NOTIFY, 0);
  check("needs-reset", (vblk_rd(VBLK_STATUS) & VBLK_S_NEEDS_RESET) != 0, vblk_rd(VBLK_STATUS));
  works("index-ahead");
}

// Junk in every register that takes a write; every readable one read.
static void bad_registers(void) {
  static const int writable[] = {VBLK_DEV_FEAT_SEL, VBLK_DRV_FEAT, VBLK_DRV_FEAT_SEL,
                                 VBLK_QUEUE_SEL, VBLK_QUEUE_NUM, VBLK_QUEUE_READY,
                                 VBLK_INT_ACK, VBLK_STATUS, VBLK_DESC_LO, VBLK_DESC_HI,
                                 VBLK_AVAIL_LO, VBLK_AVAIL_HI, VBLK_USED_LO, VBLK_USED_HI};
  uint32_t junk[] = {0xffffffffu, 0x80000000u, 7, 0xdeadbeefu};
  for (unsigned j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
    for (unsigned i = 0; i < sizeof(writable) / sizeof(writable[0]); i++)
      vblk_wr(writable[i], junk[j]);
    vblk_wr(VBLK_NOTIFY, 0);
    vblk_wr(VBLK_NOTIFY, junk[j]);                      // queues that do not exist
  }
  for (int i = 0; i < 10000; i++)                       // a notify storm, nothing new
    vblk_wr(VBLK_NOTIFY, 0);
  static const int readable[] = {VBLK_MAGIC, VBLK_VERSION, VBLK_DEVICE_ID, 0x00c,
                                 VBLK_DEV_FEAT, VBLK_QUEUE_MAX, VBLK_QUEUE_READY,
                                 VBLK_INT_STATUS, VBLK_STATUS, 0x0b0, 0x0b4, 0x0b8,
                                 0x0bc, 0x0fc};
  for (int k = 0; k < 100; k++)                         // every register we may read
    for (unsigned i = 0; i < sizeof(readable) / sizeof(readable[0]); i++)
      (void)vblk_rd(readable[i]);
  works("registers");
}

// The huge requests: chains of two descriptors (header; then the data,
// writable, whose last byte is the status, 2.7.4's framing), each over
// the whole region.
static volatile bool go;

// vCPU 1 of the huge attack: QueueNotify, again and again.
static void notify_forever(void) {
  for (;;)
    vblk_wr(VBLK_NOTIFY, 0);
}

// vCPU 1: wait until the chains are built, then notify forever.
void guest_hart(uint64_t hartid, uint64_t opaque) {
  while (!go)
    ;
  notify_forever();
}

// vCPU 0 of the huge attack: build the chains, offer them, notify,
// and offer them again, forever.
static void huge(void) {
  uint64_t bytes = vblk_capacity * 512;
  uint64_t data = ((uint64_t)_end + 4095) & ~4095UL;   // past our image
  if (data + bytes + 512 > ram_end) {
    printf("hostvirtio: a %lu-byte disk does not fit in RAM\n", bytes);
    checks_failed++;
    return;
  }
  hdr = (struct vblk_req){VBLK_T_IN, 0, 0};
  for (int c = 0; c < VBLK_QN / 2; c++) {
    d(2 * c, (uint64_t)&hdr, sizeof(hdr), VBLK_F_NEXT, (uint16_t)(2 * c + 1));
    d(2 * c + 1, data, (uint32_t)bytes + 1, VBLK_F_WRITE, 0);
  }
  vblk_avail.flags = 1;
  start_hart(1, 0);
  printf("hostvirtio: reading %lu MiB %d times a notify, forever\n", bytes >> 20, VBLK_QN / 2);
  go = true;
  for (;;) {
    for (int c = 0; c < VBLK_QN / 2; c++)
      vblk_avail.ring[(vblk_avail.idx + c) % VBLK_QN] = (uint16_t)(2 * c);
    asm volatile("fence iorw, iorw" ::: "memory");
    vblk_avail.idx = vblk_avail.idx + VBLK_QN / 2;
    asm volatile("fence iorw, iorw" ::: "memory");
    vblk_wr(VBLK_NOTIFY, 0);
  }
}

void guest_main(uint64_t hartid, const void *dtb) {
  char a[16] = "";
  bootarg_str("attack", a, sizeof(a));
  ram_end = RAM + bootarg_num("mib", 4) * 1024 * 1024;
  printf("hostvirtio: attack %s\n", a);
  if (!vblk_init()) {
    printf("hostvirtio: no disk\n");
    checks_failed++;
    finish("hostvirtio");
  }
  if (strcmp(a, "malformed") == 0) {
    bad_chains();
    bad_buffers();
    bad_rings();
    bad_registers();
  } else if (strcmp(a, "huge") == 0) {
    huge();
  } else {
    printf("hostvirtio: no attack '%s'\n", a);
    checks_failed++;
  }
  finish("hostvirtio");
}
