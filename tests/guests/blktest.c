// tests/guests/blktest.c: the virtual virtio-blk disk, as a driver uses it.
//
// Finds the disk in its device tree, brings it up as a virtio 1.x driver
// does (virtio 1.2, 3.1.1; virtio-mmio version 2, 4.2.3), then:
//   - writes a pattern to sectors 0, 1 and the last one, and a 16-sector
//     run, and reads them back;
//   - sends requests the device must refuse without harm: a buffer outside
//     its RAM, sectors beyond its disk, a length that is not whole sectors,
//     an unknown type, a descriptor chain that loops, broken rings;
//   - takes one completion as an interrupt through the PLIC, and two with
//     Disco-V's monitor call that takes an interrupt in one trap;
//   - notifies once with Disco-V's monitor call for a register store.
// Everything about virtio is written here from the spec, not taken from
// the monitor's hyp/dev/virtio.h, so that a mistake there shows up here.
//
// bootargs: "tag=<word>" names the pattern (default "blk"; the system
// test reads it back from the disk image); "badwidth" makes it end with a
// 1-byte read of a 32-bit register, which must stop the VM.
#include "kernel/fdt.h"
#include "kernel/string.h"
#include "tests/guests/guest.h"

// virtio-mmio registers (4.2.2).
#define MAGIC       0x000
#define VERSION     0x004
#define DEVICE_ID   0x008
#define DEV_FEAT    0x010
#define DEV_FEAT_SEL 0x014
#define DRV_FEAT    0x020
#define DRV_FEAT_SEL 0x024
#define QUEUE_SEL   0x030
#define QUEUE_MAX   0x034
#define QUEUE_NUM   0x038
#define QUEUE_READY 0x044
#define NOTIFY      0x050
#define INT_STATUS  0x060
#define INT_ACK     0x064
#define STATUS      0x070
#define DESC_LO     0x080
#define DESC_HI     0x084
#define AVAIL_LO    0x090
#define AVAIL_HI    0x094
#define USED_LO     0x0a0
#define USED_HI     0x0a4
#define CONFIG      0x100

// Status bits (2.1), descriptor flags (2.7.5), request types and
// statuses (5.2.6).
#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64
#define F_NEXT 1
#define F_WRITE 2
#define T_IN 0
#define T_OUT 1
#define T_GET_ID 8
#define ST_OK 0
#define ST_IOERR 1
#define ST_UNSUPP 2

#define QN 8                          // our queue size
#define OUTSIDE 0x300000000UL         // far beyond this VM's RAM

struct desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};
struct avail {
  uint16_t flags, idx, ring[QN], used_event;
};
struct used {
  uint16_t flags, idx;
  struct {
    uint32_t id, len;
  } ring[QN];
  uint16_t avail_event;
};
struct req {
  uint32_t type, reserved;
  uint64_t sector;
};

static volatile uint32_t *regs;
static volatile uint32_t *plic;
static struct desc desc[QN] __attribute__((aligned(16)));
static volatile struct avail avail __attribute__((aligned(4096)));
static volatile struct used used __attribute__((aligned(4096)));
static uint16_t used_seen;
static struct req hdr;
static volatile uint8_t status;
static uint8_t sector_buf[512], check_buf[512];
static uint8_t big[16 * 512] __attribute__((aligned(4096)));
static uint8_t big_in[16 * 512] __attribute__((aligned(4096)));
static char tag[32] = "blk";
static bool badwidth;
static uint64_t capacity;
static volatile int ext_irqs, claimed_src;
static volatile uint32_t isr_seen;

#define CTX 1                         // vCPU 0's S-mode PLIC context
#define PLIC_PRIORITY(s)  (plic + (s))
#define PLIC_ENABLE(c)    (plic + (0x2000 + 0x80 * (c)) / 4)
#define PLIC_THRESHOLD(c) (plic + (0x200000 + 0x1000 * (c)) / 4)
#define PLIC_CLAIM(c)     (plic + (0x200004 + 0x1000 * (c)) / 4)

static uint32_t rd(int off) { return regs[off / 4]; }
static void wr(int off, uint32_t v) { regs[off / 4] = v; }
static void io_fence(void) { asm volatile("fence iorw, iorw" ::: "memory"); }

// Reset the device and bring it up with queue 0 in our memory (3.1.1,
// 4.2.3.2), accepting VIRTIO_F_VERSION_1 and the bits `low` of the first
// 32. True if every step worked.
static bool init_device(uint32_t low) {
  wr(STATUS, 0);
  if (rd(STATUS) != 0)
    return false;
  memset((void *)&avail, 0, sizeof(avail));
  memset((void *)&used, 0, sizeof(used));
  used_seen = 0;
  wr(STATUS, S_ACK);
  wr(STATUS, S_ACK | S_DRIVER);
  wr(DEV_FEAT_SEL, 1);
  if ((rd(DEV_FEAT) & 1) == 0)                  // VERSION_1 is bit 32
    return false;
  wr(DRV_FEAT_SEL, 0);
  wr(DRV_FEAT, low);
  wr(DRV_FEAT_SEL, 1);
  wr(DRV_FEAT, 1);
  wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
  if ((rd(STATUS) & S_FEATURES_OK) == 0)
    return false;
  wr(QUEUE_SEL, 0);
  if (rd(QUEUE_READY) != 0 || rd(QUEUE_MAX) < QN)
    return false;
  wr(QUEUE_NUM, QN);
  wr(DESC_LO, (uint32_t)(uint64_t)desc);
  wr(DESC_HI, (uint32_t)((uint64_t)desc >> 32));
  wr(AVAIL_LO, (uint32_t)(uint64_t)&avail);
  wr(AVAIL_HI, (uint32_t)((uint64_t)&avail >> 32));
  wr(USED_LO, (uint32_t)(uint64_t)&used);
  wr(USED_HI, (uint32_t)((uint64_t)&used >> 32));
  wr(QUEUE_READY, 1);
  if (rd(QUEUE_READY) != 1)
    return false;
  wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
  return true;
}

// Offer chain `head` to the device and wait for it on the used ring
// (2.7.13, 2.7.14). Returns the used element's len, or -1 if it never
// came back (in 10 s: the monitor answers asynchronously, and a loaded
// host may be slow) or came back with another head.
static bool notify_by_call;          // monitor_store(): notify by monitor call
static long submit(uint16_t head) {
  avail.ring[avail.idx % QN] = head;
  io_fence();
  avail.idx = avail.idx + 1;
  io_fence();
  if (notify_by_call)
    sbi_call(SBI_EXT_DISCO, SBI_DISCO_MMIO_STORE, (uint64_t)regs + NOTIFY, 0,
             0, 0, 0, 0);
  else
    wr(NOTIFY, 0);
  uint64_t end = rdtime() + 100000000;          // 10 s at QEMU's 10 MHz
  while (used.idx == used_seen)
    if (rdtime() > end)
      return -1;
  io_fence();
  uint32_t id = used.ring[used_seen % QN].id;
  uint32_t len = used.ring[used_seen % QN].len;
  used_seen++;
  return id == head ? (long)len : -1;
}

// The usual three-descriptor request: header, data (len bytes at addr,
// device-writable for a read), status. Returns the used len; the status
// is left in `status` (0xee if the device did not write it).
static long request(uint32_t type, uint64_t sector, uint64_t addr,
                    uint32_t len) {
  hdr = (struct req){type, 0, sector};
  status = 0xee;
  bool dev_writes = type != T_OUT;
  desc[0] = (struct desc){(uint64_t)&hdr, sizeof(hdr), F_NEXT, 1};
  desc[1] = (struct desc){addr, len, F_NEXT | (dev_writes ? F_WRITE : 0), 2};
  desc[2] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
  return submit(0);
}

// What we write to sector s: "blktest <tag> sector <s>\n", then bytes
// (i + s) & 0xff. tests/system/test_virtio.py looks for exactly this in
// the disk image.
static void fill(uint8_t *p, uint64_t s) {
  int n = snprintf((char *)p, 512, "blktest %s sector %lu\n", tag, s);
  for (int i = n; i < 512; i++)
    p[i] = (uint8_t)(i + s);
}

// Read sector s and compare it with the pattern.
static bool sector_ok(uint64_t s) {
  fill(check_buf, s);
  memset(sector_buf, 0, sizeof(sector_buf));
  return request(T_IN, s, (uint64_t)sector_buf, 512) == 513 &&
         status == ST_OK && memcmp(sector_buf, check_buf, 512) == 0;
}

// "tag=<word>" and "badwidth" from /chosen/bootargs.
static void read_bootargs(const struct fdt *fdt) {
  const void *val;
  int len;
  int n = fdt_path(fdt, "/chosen");
  if (n < 0 || fdt_getprop(fdt, n, "bootargs", &val, &len) < 0)
    return;
  const char *s = val;
  for (int i = 0; i < len && s[i]; i++) {
    if ((i == 0 || s[i - 1] == ' ') && strncmp(s + i, "tag=", 4) == 0) {
      int k = 0;
      for (i += 4; i < len && s[i] && s[i] != ' ' && k < 31; i++)
        tag[k++] = s[i];
      tag[k] = 0;
    }
    if ((i == 0 || s[i - 1] == ' ') && strncmp(s + i, "badwidth", 8) == 0)
      badwidth = true;
  }
}

// How interrupts are taken: from the PLIC, or (irq_take) with Disco-V's
// monitor call that claims, acknowledges and completes in one trap.
static volatile bool by_call;

// The S external interrupt: claim, acknowledge the device, complete; or
// the monitor call, after which InterruptStatus must read 0.
void guest_external_irq(void) {
  if (by_call) {
    claimed_src = (int)sbi_call(SBI_EXT_DISCO, SBI_DISCO_IRQ_TAKE, 0, 0, 0,
                                0, 0, 0).value;
    isr_seen = rd(INT_STATUS);
    ext_irqs++;
    return;
  }
  uint32_t src = *PLIC_CLAIM(CTX);
  claimed_src = (int)src;
  isr_seen = rd(INT_STATUS);
  wr(INT_ACK, isr_seen);
  *PLIC_CLAIM(CTX) = src;
  ext_irqs++;
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

// Find the devices and check that the disk is one.
static bool find_devices(const void *dtb) {
  struct fdt fdt;
  fdt_init(&fdt, dtb, 64 * 1024);
  read_bootargs(&fdt);
  uint64_t base, size;
  uint32_t irq = 0;
  int n = fdt_find_compatible(&fdt, -1, "virtio,mmio");
  bool found = n >= 0 && fdt_reg(&fdt, n, 0, &base, &size) == 0;
  check("dt-virtio", found, n);
  if (!found)
    return false;
  regs = (volatile uint32_t *)base;
  fdt_getprop_u32(&fdt, n, "interrupts", &irq);
  check("dt-virtio-irq", irq == 1, irq);
  n = fdt_find_compatible(&fdt, -1, "riscv,plic0");
  check("dt-plic", n >= 0 && fdt_reg(&fdt, n, 0, &base, &size) == 0, n);
  plic = (volatile uint32_t *)base;
  check("virtio-magic", rd(MAGIC) == 0x74726976, rd(MAGIC));
  check("virtio-version-2", rd(VERSION) == 2, rd(VERSION));
  check("virtio-blk-id", rd(DEVICE_ID) == 2, rd(DEVICE_ID));
  return rd(MAGIC) == 0x74726976 && rd(DEVICE_ID) == 2;
}

// Bring-up, after a driver whose features the device must refuse and
// one that accepts none.
static void bring_up(void) {
  wr(STATUS, 0);
  wr(STATUS, S_ACK | S_DRIVER);
  wr(DRV_FEAT_SEL, 0);
  wr(DRV_FEAT, 1u << 1);                        // SIZE_MAX: never offered
  wr(DRV_FEAT_SEL, 1);
  wr(DRV_FEAT, 1);
  wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
  check("features-refused", (rd(STATUS) & S_FEATURES_OK) == 0, rd(STATUS));
  // A driver that accepts no feature at all, as xv6's does, is let in.
  wr(STATUS, 0);
  wr(STATUS, S_ACK | S_DRIVER);
  wr(DRV_FEAT_SEL, 0);
  wr(DRV_FEAT, 0);
  wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
  check("features-none", (rd(STATUS) & S_FEATURES_OK) != 0, rd(STATUS));
  check("init", init_device(0), 0);
  capacity = rd(CONFIG) | (uint64_t)rd(CONFIG + 4) << 32;
  printf("blktest: capacity %lu sectors\n", capacity);
  uint8_t low = *(volatile uint8_t *)((uintptr_t)regs + CONFIG);
  check("config-byte-read", low == (capacity & 0xff), low);
  avail.flags = 1;                              // no interrupts: we poll
}

// Requests that work.
static void good_requests(void) {
  char id[21];
  memset(id, 0, sizeof(id));
  long len = request(T_GET_ID, 0, (uint64_t)id, 20);
  check("get-id", len >= 2 && status == ST_OK && strncmp(id, "disco-v:", 8) == 0, len);
  printf("blktest: id %s\n", id);

  uint64_t sectors[3] = {0, 1, capacity - 1};
  bool ok = true;
  for (int i = 0; i < 3; i++) {
    fill(sector_buf, sectors[i]);
    ok = ok && request(T_OUT, sectors[i], (uint64_t)sector_buf, 512) == 1 &&
         status == ST_OK;
  }
  check("write-0-1-last", ok, status);
  check("no-irq-when-asked", rd(INT_STATUS) == 0, rd(INT_STATUS));
  check("read-0", sector_ok(0), status);
  check("read-1", sector_ok(1), status);
  check("read-last", sector_ok(capacity - 1), status);

  // 16 sectors in one request: more than the monitor's bounce buffer.
  for (int s = 0; s < 16; s++)
    fill(big + 512 * s, 8 + s);
  check("write-16", request(T_OUT, 8, (uint64_t)big, sizeof(big)) == 1 &&
        status == ST_OK, status);
  check("read-16", request(T_IN, 8, (uint64_t)big_in, sizeof(big_in)) ==
        (long)sizeof(big_in) + 1 && status == ST_OK &&
        memcmp(big, big_in, sizeof(big)) == 0, status);

  // Sector 2 with the header and the data each cut in two (2.7.4: the
  // device must not care how a request is cut into buffers).
  fill(sector_buf, 2);
  hdr = (struct req){T_OUT, 0, 2};
  status = 0xee;
  desc[0] = (struct desc){(uint64_t)&hdr, 8, F_NEXT, 1};
  desc[1] = (struct desc){(uint64_t)&hdr + 8, 8, F_NEXT, 2};
  desc[2] = (struct desc){(uint64_t)sector_buf, 100, F_NEXT, 3};
  desc[3] = (struct desc){(uint64_t)sector_buf + 100, 412, F_NEXT, 4};
  desc[4] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
  check("write-cut-in-five", submit(0) == 1 && status == ST_OK, status);
  check("read-2", sector_ok(2), status);
}

// Requests the device must refuse, and go on working.
static void bad_requests(void) {
  check("read-outside-ram", request(T_IN, 0, OUTSIDE, 512) == 1 &&
        status == ST_IOERR, status);
  check("read-past-end", request(T_IN, capacity, (uint64_t)sector_buf, 512) == 1 &&
        status == ST_IOERR, status);
  check("read-across-end", request(T_IN, capacity - 1, (uint64_t)big_in, 1024) == 1 &&
        status == ST_IOERR, status);
  check("read-sector-wraps", request(T_IN, ~0UL, (uint64_t)sector_buf, 512) == 1 &&
        status == ST_IOERR, status);
  check("read-not-whole-sectors", request(T_IN, 0, (uint64_t)sector_buf, 100) == 1 &&
        status == ST_IOERR, status);
  check("unknown-type", request(99, 0, (uint64_t)sector_buf, 512) == 1 &&
        status == ST_UNSUPP, status);
  // FLUSH (type 4) exists, but this driver did not agree on its feature.
  check("flush-not-agreed", request(4, 0, (uint64_t)sector_buf, 512) == 1 &&
        status == ST_UNSUPP, status);

  // A write with one good and one bad data buffer writes nothing.
  memset(sector_buf, 0x77, sizeof(sector_buf));
  hdr = (struct req){T_OUT, 0, 0};
  status = 0xee;
  desc[0] = (struct desc){(uint64_t)&hdr, sizeof(hdr), F_NEXT, 1};
  desc[1] = (struct desc){(uint64_t)sector_buf, 256, F_NEXT, 2};
  desc[2] = (struct desc){OUTSIDE, 256, F_NEXT, 3};
  desc[3] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
  check("write-half-outside", submit(0) == 1 && status == ST_IOERR, status);
  check("sector-0-untouched", sector_ok(0), status);

  // The header outside RAM; then the status byte outside RAM, which
  // leaves the device nowhere to answer: used len 0, and nothing written.
  desc[0] = (struct desc){OUTSIDE, sizeof(hdr), F_NEXT, 1};
  desc[1] = (struct desc){(uint64_t)sector_buf, 512, F_NEXT | F_WRITE, 2};
  desc[2] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
  status = 0xee;
  check("header-outside-ram", submit(0) == 1 && status == ST_IOERR, status);
  hdr = (struct req){T_OUT, 0, 1};
  desc[0] = (struct desc){(uint64_t)&hdr, sizeof(hdr), F_NEXT, 1};
  desc[1] = (struct desc){(uint64_t)sector_buf, 512, F_NEXT, 2};
  desc[2] = (struct desc){OUTSIDE, 1, F_WRITE, 0};
  check("status-outside-ram", submit(0) == 0, 0);
  check("sector-1-untouched", sector_ok(1), status);

  // A chain that never ends: 0 -> 1 -> 2 -> 1 -> 2 ...
  hdr = (struct req){T_IN, 0, 0};
  desc[0] = (struct desc){(uint64_t)&hdr, sizeof(hdr), F_NEXT, 1};
  desc[1] = (struct desc){(uint64_t)sector_buf, 512, F_NEXT | F_WRITE, 2};
  desc[2] = (struct desc){(uint64_t)&status, 1, F_NEXT | F_WRITE, 1};
  status = 0xee;
  check("chain-loops", submit(0) == 0 && status == 0xee, status);
  check("works-after-errors", sector_ok(capacity - 1), status);
}

// A driver that breaks its rings: it says it made more requests than the
// queue holds. The device asks for a reset (2.1.2) and works after one.
static void broken_ring(void) {
  avail.idx = avail.idx + QN + 1;
  io_fence();
  wr(NOTIFY, 0);
  check("needs-reset", (rd(STATUS) & S_NEEDS_RESET) != 0, rd(STATUS));
  check("config-irq", (rd(INT_STATUS) & 2) != 0, rd(INT_STATUS));
  wr(INT_ACK, rd(INT_STATUS));
  check("reset-and-init", init_device(0), 0);
  avail.flags = 1;
  check("works-after-reset", sector_ok(1), status);
}

// Wait until `n` interrupts have been taken (if they have not been
// already), with interrupts globally off around the check and the WFI,
// which wakes on a pending, enabled one all the same (privileged spec
// 3.3.3), and let them in between WFIs: with them on, one could come
// between the check and the WFI, which would then sleep for ever (it did,
// about 1 run in 10). The timer, set to a 1 s deadline, ends the wait if
// one never comes. Interrupts are off when it returns.
static void wait_irqs(int n) {
  uint64_t end = rdtime() + 10000000;
  csr_clear(sstatus, SSTATUS_SIE);
  csr_set(sie, 1UL << IRQ_S_TIMER);
  sbi_set_timer(end);
  while (ext_irqs < n && rdtime() < end) {
    wfi();
    csr_set(sstatus, SSTATUS_SIE);              // take it here, if pending
    csr_clear(sstatus, SSTATUS_SIE);
  }
  sbi_set_timer(~0UL);
}

// One completion taken as an interrupt: PLIC source 1, claimed, the
// device's InterruptStatus read and acknowledged, completed.
static void interrupt(void) {
  *PLIC_PRIORITY(1) = 1;
  *PLIC_ENABLE(CTX) = 1u << 1;
  *PLIC_THRESHOLD(CTX) = 0;
  // The configuration-change interrupt of broken_ring() left a request
  // pending in the PLIC (a gateway cannot take one back): claim and
  // complete whatever is there first, as a driver starting up would.
  for (uint32_t src; (src = *PLIC_CLAIM(CTX)) != 0;)
    *PLIC_CLAIM(CTX) = src;
  avail.flags = 0;                              // interrupts, please
  csr_set(sie, 1UL << IRQ_S_EXT);
  csr_set(sstatus, SSTATUS_SIE);
  bool ok = sector_ok(capacity - 1);
  wait_irqs(1);
  check("read-with-irq", ok, status);
  check("irq-taken", ext_irqs == 1, ext_irqs);
  check("irq-source-1", claimed_src == 1, claimed_src);
  check("irq-used-buffer", (isr_seen & 1) != 0, isr_seen);
  check("irq-acked", rd(INT_STATUS) == 0, rd(INT_STATUS));
  check("plic-nothing-left", *PLIC_CLAIM(CTX) == 0, 0);
}

// Disco-V's monitor call SBI_DISCO_IRQ_TAKE (hyp/sbi/vsbi_disco.c): one
// call claims source 1, acknowledges the disk (InterruptStatus reads 0
// after it) and completes the source, so that the interrupt is taken once
// and the next request's interrupt comes again. With nothing pending it
// returns 0.
static void irq_take(void) {
  check("irq-take-none", sbi_call(SBI_EXT_DISCO, SBI_DISCO_IRQ_TAKE, 0, 0, 0,
                                  0, 0, 0).value == 0, 0);
  by_call = true;
  ext_irqs = 0;
  claimed_src = 0;
  isr_seen = ~0u;
  csr_set(sstatus, SSTATUS_SIE);
  bool ok = sector_ok(1);
  wait_irqs(1);
  // One more chance for an interrupt that should not come: the one just
  // taken, forwarded again had the call completed it with its line up.
  csr_set(sstatus, SSTATUS_SIE);
  for (int i = 0; i < 1000; i++)
    asm volatile("nop");
  csr_clear(sstatus, SSTATUS_SIE);
  check("irq-take-read", ok, status);
  check("irq-take-once", ext_irqs == 1, ext_irqs);
  check("irq-take-source-1", claimed_src == 1, claimed_src);
  check("irq-take-acked", isr_seen == 0, isr_seen);
  csr_set(sstatus, SSTATUS_SIE);
  ok = sector_ok(capacity - 1);
  wait_irqs(2);
  check("irq-take-again", ok && ext_irqs == 2, ext_irqs);
  by_call = false;
}

// Disco-V's monitor call SBI_DISCO_MMIO_STORE: a register store passed in
// the call. QueueNotify written that way starts the request as the store
// does; a store where no register takes one (a read-only register, no
// device at all) is refused with SBI_ERR_INVALID_ADDRESS and changes
// nothing.
static void monitor_store(void) {
  notify_by_call = true;
  check("mmio-store-notify", sector_ok(capacity - 1), status);
  notify_by_call = false;
  struct sbiret r = sbi_call(SBI_EXT_DISCO, SBI_DISCO_MMIO_STORE,
                             (uint64_t)regs + MAGIC, 0, 0, 0, 0, 0);
  check("mmio-store-read-only", r.error == SBI_ERR_INVALID_ADDRESS &&
        rd(MAGIC) == 0x74726976, (long)r.error);
  r = sbi_call(SBI_EXT_DISCO, SBI_DISCO_MMIO_STORE, 0x3000, 0, 0, 0, 0, 0);
  check("mmio-store-no-device", r.error == SBI_ERR_INVALID_ADDRESS, (long)r.error);
}

// VIRTIO_F_EVENT_IDX (2.7.7.2, 2.7.10): the device offers it; agreed on,
// it interrupts only for the used entry used_event names, whatever the
// flags say, and, idle, asks to be notified of the next available entry
// (avail_event). Each interrupt or notify it spares is a trap.
#define F_EVENT_IDX 29
#define USED_EVENT  avail.used_event           // right after the QN entries
#define AVAIL_EVENT used.avail_event
static void event_idx(void) {
  wr(DEV_FEAT_SEL, 0);
  check("event-idx-offered", (rd(DEV_FEAT) >> F_EVENT_IDX) & 1, rd(DEV_FEAT));
  check("event-idx-init", init_device(1u << F_EVENT_IDX), 0);
  // An interrupt at the second entry from now, not at the first.
  avail.flags = 0;
  USED_EVENT = (uint16_t)(used_seen + 1);
  check("event-idx-read-1", sector_ok(1), status);
  check("event-idx-no-irq-before", rd(INT_STATUS) == 0, rd(INT_STATUS));
  check("avail-event-next", AVAIL_EVENT == avail.idx, AVAIL_EVENT);
  check("event-idx-read-2", sector_ok(1), status);
  check("event-idx-irq-at-event", (rd(INT_STATUS) & 1) != 0, rd(INT_STATUS));
  wr(INT_ACK, rd(INT_STATUS));
  // NO_INTERRUPT is ignored with EVENT_IDX: used_event rules.
  avail.flags = 1;
  USED_EVENT = used_seen;
  check("event-idx-read-3", sector_ok(1), status);
  check("event-idx-flags-ignored", (rd(INT_STATUS) & 1) != 0, rd(INT_STATUS));
  wr(INT_ACK, rd(INT_STATUS));
}

void guest_main(uint64_t hartid, const void *dtb) {
  if (!find_devices(dtb))
    finish("blktest");
  bring_up();
  good_requests();
  bad_requests();
  broken_ring();
  interrupt();
  irq_take();
  monitor_store();
  event_idx();
  if (badwidth) {
    printf("blktest: a 1-byte read of the 32-bit MagicValue\n");
    (void)*(volatile uint8_t *)regs;
    printf("blktest: the monitor let it through\n");
  }
  finish("blktest");
}
