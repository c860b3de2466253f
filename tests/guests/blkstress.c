// tests/guests/blkstress.c: the virtual disk under load: several requests
// in flight at once, huge ones, and a VM that stops with some in flight.
//
// Its own small virtio driver (as in blktest.c, from the spec, not from
// the monitor's headers) with a queue of QN descriptors and up to NREQ
// requests made available with one notify. What it does comes from
// bootargs, one word:
//
//   order   one notify, six requests: a big read, a 32 KiB write, a read
//           of what it wrote, a 512-byte write over its first sector (an
//           odd buffer: the monitor copies it), a read of that sector, and
//           GET_ID. The used ring must list them in the order they were
//           made available, and each read must see the writes before it.
//   hog     a hostile guest: 8 reads of its whole disk, one notify, again
//           and again, for ever, printing "hog: round N" after each.
//   victim  runs beside a hog: ROUNDS rounds of writing 8 sectors, reading
//           them back and sleeping 2 ms; then asks for a key on the
//           console, and says which one it got.
//   drain   first boot (no mark on sector 0): marks sector 0, makes
//           NREQ - 1 writes of 1 MiB available with one notify, prints which
//           are done the moment the first one is, and reboots its VM at
//           once, with the others in flight. Second boot: reads the
//           areas back and says for each whether it holds what was
//           written; then clears the mark.
#include "kernel/fdt.h"
#include "kernel/string.h"
#include "tests/guests/guest.h"

// virtio-mmio registers (4.2.2) and constants (2.1, 2.7.5, 5.2.6).
#define DEV_FEAT    0x010
#define DEV_FEAT_SEL 0x014
#define DRV_FEAT    0x020
#define DRV_FEAT_SEL 0x024
#define QUEUE_SEL   0x030
#define QUEUE_NUM   0x038
#define QUEUE_READY 0x044
#define NOTIFY      0x050
#define STATUS      0x070
#define DESC_LO     0x080
#define DESC_HI     0x084
#define AVAIL_LO    0x090
#define AVAIL_HI    0x094
#define USED_LO     0x0a0
#define USED_HI     0x0a4
#define CONFIG      0x100
#define S_ALL_UP    (1 | 2 | 8 | 4)   // ACK, DRIVER, FEATURES_OK, DRIVER_OK
#define F_NEXT 1
#define F_WRITE 2
#define T_IN 0
#define T_OUT 1
#define T_GET_ID 8

#define QN 16                         // descriptors
#define NREQ 8                        // requests in flight, 2 descriptors each
#define ROUNDS 10                     // the victim's rounds
#define HOG_BUF 0x81000000UL          // the hog's buffer: its RAM from 16 MiB
#define TICKS_PER_MS 10000            // QEMU's timebase: 10 MHz

struct desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};
struct req {
  uint32_t type, reserved;
  uint64_t sector;
};

static volatile uint32_t *regs;
static struct desc desc[QN] __attribute__((aligned(16)));
static volatile struct {
  uint16_t flags, idx, ring[QN], used_event;
} avail __attribute__((aligned(4096)));
static volatile struct {
  uint16_t flags, idx;
  struct {
    uint32_t id, len;
  } ring[QN];
  uint16_t avail_event;
} used __attribute__((aligned(4096)));
static uint16_t used_seen;
static struct req hdr[NREQ];
static uint64_t capacity;
static char mode[16];

// Data buffers: each request i has its own, with room for the status byte
// at the end (the in stream is data then status, 2.7.4: one buffer may
// hold both).
#define AREA (1024 * 1024)
static uint8_t data[NREQ][AREA + 4096] __attribute__((aligned(4096)));

static uint32_t rd(int off) { return regs[off / 4]; }
static void wr(int off, uint32_t v) { regs[off / 4] = v; }
static void io_fence(void) { asm volatile("fence iorw, iorw" ::: "memory"); }

// Bring the device up, queue 0 in our memory, no feature but VERSION_1.
static void init_device(void) {
  wr(STATUS, 0);
  wr(STATUS, 1 | 2);
  wr(DRV_FEAT_SEL, 0);
  wr(DRV_FEAT, 0);
  wr(DRV_FEAT_SEL, 1);
  wr(DRV_FEAT, 1);
  wr(STATUS, 1 | 2 | 8);
  wr(QUEUE_SEL, 0);
  wr(QUEUE_NUM, QN);
  wr(DESC_LO, (uint32_t)(uint64_t)desc);
  wr(DESC_HI, (uint32_t)((uint64_t)desc >> 32));
  wr(AVAIL_LO, (uint32_t)(uint64_t)&avail);
  wr(AVAIL_HI, (uint32_t)((uint64_t)&avail >> 32));
  wr(USED_LO, (uint32_t)(uint64_t)&used);
  wr(USED_HI, (uint32_t)((uint64_t)&used >> 32));
  wr(QUEUE_READY, 1);
  wr(STATUS, S_ALL_UP);
  avail.flags = 1;                    // no interrupts: we poll
  capacity = rd(CONFIG) | (uint64_t)rd(CONFIG + 4) << 32;
}

// Make request i available (not yet notified), in two descriptors. A
// read: the header, then one writable buffer of len bytes at addr with
// the status byte after them (the in stream is data then status, 2.7.4:
// one buffer may hold both). A write: one readable buffer holding the
// header (placed in the 16 bytes before addr, which the caller leaves
// free) and the data, then the status byte at addr + len.
static void queue(int i, uint32_t type, uint64_t sector, uint64_t addr,
                  uint32_t len) {
  uint8_t *status = (uint8_t *)(addr + len);
  *status = 0xee;
  if (type == T_OUT) {
    struct req *h = (struct req *)(addr - sizeof(struct req));
    *h = (struct req){type, 0, sector};
    desc[2 * i] = (struct desc){(uint64_t)h, sizeof(*h) + len, F_NEXT,
                                (uint16_t)(2 * i + 1)};
    desc[2 * i + 1] = (struct desc){(uint64_t)status, 1, F_WRITE, 0};
  } else {
    hdr[i] = (struct req){type, 0, sector};
    desc[2 * i] = (struct desc){(uint64_t)&hdr[i], sizeof(hdr[i]), F_NEXT,
                                (uint16_t)(2 * i + 1)};
    desc[2 * i + 1] = (struct desc){addr, len + 1, F_WRITE, 0};
  }
  avail.ring[avail.idx % QN] = (uint16_t)(2 * i);
  io_fence();
  avail.idx = avail.idx + 1;
}

// Request i's status byte, for a request queued at addr with len bytes.
static uint8_t status_of(uint64_t addr, uint32_t len) {
  return *(volatile uint8_t *)(addr + len);
}

static void notify(void) {
  io_fence();
  wr(NOTIFY, 0);
}

// Wait until n more requests are on the used ring; their heads into
// heads[] in the order the ring lists them. False if they never come.
static bool wait_used(int n, uint16_t *heads) {
  for (int k = 0; k < n; k++) {
    uint64_t end = rdtime() + 30000 * (uint64_t)TICKS_PER_MS;
    while (used.idx == used_seen)
      if (rdtime() > end)
        return false;
    io_fence();
    if (heads != NULL)
      heads[k] = (uint16_t)used.ring[used_seen % QN].id;
    used_seen++;
  }
  return true;
}

static void fill(uint8_t *p, uint64_t n, uint64_t seed) {
  for (uint64_t i = 0; i < n; i++)
    p[i] = (uint8_t)(seed * 31 + i / 512 * 7 + i);
}

static bool same(const uint8_t *p, uint64_t n, uint64_t seed) {
  for (uint64_t i = 0; i < n; i++)
    if (p[i] != (uint8_t)(seed * 31 + i / 512 * 7 + i))
      return false;
  return true;
}

// Where request i's data goes: page-aligned, with the page before it
// free for a write's header.
static uint64_t buf(int i) { return (uint64_t)data[i] + 4096; }

// ---- order ----

static void order(void) {
  uint64_t odd = (uint64_t)data[4] + 2 * 4096 - 100;   // crosses a page
  fill((uint8_t *)buf(1), 32 * 1024, 1);
  fill((uint8_t *)odd, 512, 2);
  memset((void *)buf(2), 0, 32 * 1024);
  memset((void *)buf(5), 0, 512);
  queue(0, T_IN, 1024, buf(0), AREA);            // a big read first
  queue(1, T_OUT, 8, buf(1), 32 * 1024);         // write sectors 8..71
  queue(2, T_IN, 8, buf(2), 32 * 1024);          // read them back
  queue(3, T_OUT, 8, odd, 512);                  // sector 8 again, copied
  queue(4, T_IN, 8, buf(5), 512);                // read sector 8
  queue(5, T_GET_ID, 0, buf(6), 20);
  notify();
  uint16_t heads[6];
  bool all = wait_used(6, heads);
  check("order-all-answered", all, 0);
  bool in_order = all;
  for (int k = 0; k < 6 && all; k++)
    in_order = in_order && heads[k] == 2 * k;
  check("order-used-ring-in-order", in_order, all ? heads[1] : -1);
  bool ok = true;
  uint32_t lens[6] = {AREA, 32 * 1024, 32 * 1024, 512, 512, 20};
  uint64_t addrs[6] = {buf(0), buf(1), buf(2), odd, buf(5), buf(6)};
  for (int k = 0; k < 6; k++)
    ok = ok && status_of(addrs[k], lens[k]) == 0;
  check("order-all-ok", ok, 0);
  check("order-read-sees-write", same((uint8_t *)buf(2), 32 * 1024, 1), 0);
  check("order-read-sees-copied-write", same((uint8_t *)buf(5), 512, 2), 0);
  check("order-get-id", strncmp((char *)buf(6), "disco-v:", 8) == 0, 0);
}

// ---- hog and victim ----

static void hog(void) {
  uint32_t len = (uint32_t)(capacity * 512);
  for (int round = 1;; round++) {
    for (int i = 0; i < NREQ; i++)
      queue(i, T_IN, 0, HOG_BUF, len);
    notify();
    if (!wait_used(NREQ, NULL))
      printf("hog: the monitor never answered\n");
    printf("hog: round %d\n", round);
  }
}

// Sleep ms milliseconds in WFI, woken by the timer. Interrupts stay
// globally off around the check and the WFI (which wakes on a pending,
// enabled interrupt all the same), and are let in only between WFIs:
// with them on, the timer could strike between the check and the WFI,
// which would then wait for ever.
static void sleep_ms(uint64_t ms) {
  uint64_t h = hart_id(), before = timer_irqs[h];
  irqs_off();
  csr_set(sie, 1UL << IRQ_S_TIMER);
  sbi_set_timer(rdtime() + ms * TICKS_PER_MS);
  while (timer_irqs[h] == before) {
    wfi();
    csr_set(sstatus, SSTATUS_SIE);    // take it here, if it is pending
    csr_clear(sstatus, SSTATUS_SIE);
  }
}

static void victim(void) {
  int bad = 0;
  for (int round = 1; round <= ROUNDS; round++) {
    fill((uint8_t *)buf(0), 4096, (uint64_t)round);
    memset((void *)buf(1), 0, 4096);
    queue(0, T_OUT, 16, buf(0), 4096);
    notify();
    bool ok = wait_used(1, NULL) && status_of(buf(0), 4096) == 0;
    queue(1, T_IN, 16, buf(1), 4096);
    notify();
    ok = ok && wait_used(1, NULL) && status_of(buf(1), 4096) == 0 &&
         same((uint8_t *)buf(1), 4096, (uint64_t)round);
    printf("victim: round %d %s\n", round, ok ? "ok" : "FAILED");
    bad += !ok;
    sleep_ms(2);
  }
  check("victim-rounds", bad == 0, bad);
  printf("victim: type a key\n");
  int c;
  while ((c = sbi_console_getc()) < 0)
    sleep_ms(1);
  printf("victim: key %c\n", c);
}

// ---- drain ----

#define MARK "blkstress drain mark"
#define AREA_SECTOR(i) (64 + (uint64_t)(i) * (AREA / 512))

static void drain(void) {
  char *mark = (char *)buf(7);
  queue(7, T_IN, 0, buf(7), 512);
  notify();
  check("drain-read-mark", wait_used(1, NULL) && status_of(buf(7), 512) == 0, 0);
  if (strncmp(mark, MARK, sizeof(MARK)) != 0) {
    // First boot: mark, then writes, then reboot with some in flight.
    memset(mark, 0, 512);
    memcpy(mark, MARK, sizeof(MARK));
    queue(7, T_OUT, 0, buf(7), 512);
    notify();
    check("drain-write-mark", wait_used(1, NULL) && status_of(buf(7), 512) == 0, 0);
    for (int i = 0; i < NREQ - 1; i++) {
      fill((uint8_t *)buf(i), AREA, (uint64_t)i + 100);
      queue(i, T_OUT, AREA_SECTOR(i), buf(i), AREA);
    }
    notify();
    while (used.idx == used_seen)
      ;
    io_fence();
    uint16_t done = used.idx;         // what the device has said so far
    // One line, printed at once: every trap lets the monitor start more
    // pieces, and the point is to reboot with many still to do.
    char line[80];
    int n = snprintf(line, sizeof(line), "drain: told done:");
    for (uint16_t k = used_seen; k != done && n < 70; k++)
      n += snprintf(line + n, sizeof(line) - (size_t)n, " %u",
                    used.ring[k % QN].id / 2);
    printf("%s\n", line);
    sbi_system_reset(SBI_RESET_COLD_REBOOT, SBI_RESET_REASON_NONE);
  }
  // Second boot: what is in each area?
  for (int i = 0; i < NREQ - 1; i++) {
    memset((void *)buf(i), 0, AREA);
    queue(i, T_IN, AREA_SECTOR(i), buf(i), AREA);
  }
  notify();
  check("drain-read-areas", wait_used(NREQ - 1, NULL), 0);
  for (int i = 0; i < NREQ - 1; i++)
    printf("drain: area %d: %s\n", i,
           same((uint8_t *)buf(i), AREA, (uint64_t)i + 100) ? "written" : "not");
  memset(mark, 0, 512);
  queue(7, T_OUT, 0, buf(7), 512);
  notify();
  check("drain-clear-mark", wait_used(1, NULL) && status_of(buf(7), 512) == 0, 0);
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

// The disk from the device tree, and the mode from bootargs.
static bool setup(const void *dtb) {
  struct fdt fdt;
  fdt_init(&fdt, dtb, 64 * 1024);
  const void *val;
  int len;
  int n = fdt_path(&fdt, "/chosen");
  if (n >= 0 && fdt_getprop(&fdt, n, "bootargs", &val, &len) == 0)
    for (int i = 0; i < len && i < (int)sizeof(mode) - 1; i++)
      mode[i] = ((const char *)val)[i];
  uint64_t base, size;
  n = fdt_find_compatible(&fdt, -1, "virtio,mmio");
  if (n < 0 || fdt_reg(&fdt, n, 0, &base, &size) < 0)
    return false;
  regs = (volatile uint32_t *)base;
  return true;
}

void guest_main(uint64_t hartid, const void *dtb) {
  check("disk", setup(dtb), 0);
  init_device();
  if (strcmp(mode, "order") == 0)
    order();
  else if (strcmp(mode, "hog") == 0)
    hog();
  else if (strcmp(mode, "victim") == 0)
    victim();
  else if (strcmp(mode, "drain") == 0)
    drain();
  else
    printf("blkstress: unknown mode '%s'\n", mode);
  finish("blkstress");
}
