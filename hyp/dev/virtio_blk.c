// hyp/dev/virtio_blk.c: the monitor's driver for the real disk (see
// hyp/dev/virtio_blk.h).
//
// The device is found and started as virtio 1.2 section 3.1.1 ("Driver
// Requirements: Device Initialization") and 4.2.3 ("MMIO-specific
// Initialization And Device Operation") say; register names are those of
// hyp/dev/virtio.h. Its one virtqueue lives in one page of monitor memory:
//
//   page + 0x000  descriptor table   QSIZE x 16 bytes
//   page + 0x200  available ring     (driver -> device)
//   page + 0x400  used ring          (device -> driver)
//   page + 0x800  request header     struct virtio_blk_req
//   page + 0x810  status byte
//
// Only one request is ever in flight (the lock sees to it), so every
// request is the same chain of three descriptors, head 0 (5.2.6):
//
//   desc[0] header ---> desc[1] data ---> desc[2] status
//   device reads        reads (write)     device writes
//                       writes (read)
//
// and the driver then polls the used ring until the device has put the
// chain there. The monitor asks for no interrupt (VIRTQ_AVAIL_F_NO_INTERRUPT):
// it does not take device interrupts at all.
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/dev/virtio.h"
#include "hyp/dev/virtio_blk.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

#define QSIZE 8              // descriptors in our queue; we use 3
#define TIMEOUT_SECONDS 5    // a request the disk has not done by then: gone

#define DESC_OFF   0x000
#define AVAIL_OFF  0x200
#define USED_OFF   0x400
#define REQ_OFF    0x800
#define STATUS_OFF 0x810

// The two rings, laid out as 2.7.6 and 2.7.8 draw them (see hyp/dev/virtio.h).
struct avail_ring {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[QSIZE];
  uint16_t used_event;
};

struct used_ring {
  uint16_t flags;
  uint16_t idx;
  struct virtq_used_elem ring[QSIZE];
  uint16_t avail_event;
};

static struct {
  struct spinlock lock;       // one request at a time; protects all below
  uint64_t base;              // the device's registers
  uint64_t capacity;          // in 512-byte sectors; 0: no usable disk
  struct virtq_desc *desc;
  volatile struct avail_ring *avail;
  volatile struct used_ring *used;
  struct virtio_blk_req *req;
  volatile uint8_t *status;
  uint16_t used_seen;         // used->idx as of our last request
  bool flush;                 // VIRTIO_BLK_F_FLUSH agreed: a write cache
} disk = {.lock = SPINLOCK_INIT("virtio-blk")};

static uint32_t reg_read(uint64_t base, int off) {
  return *(volatile uint32_t *)(base + off);
}

static void reg_write(uint64_t base, int off, uint32_t val) {
  *(volatile uint32_t *)(base + off) = val;
}

// The first virtio-mmio slot that holds a modern block device, or 0.
// Empty slots say DeviceID 0 (4.2.2). A legacy one (Version 1: QEMU's
// default without force-legacy=false) has different registers; it is
// reported, not used.
static uint64_t find_disk(void) {
  for (int i = 0; i < machine.nvirtio; i++) {
    uint64_t base = machine.virtio[i].reg.base;
    if (reg_read(base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
        reg_read(base, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
      continue;
    uint32_t version = reg_read(base, VIRTIO_MMIO_VERSION);
    if (version == 2)
      return base;
    printf("virtio-blk: the disk at %p is a legacy device (Version %u, want 2);"
           " run QEMU with -global virtio-mmio.force-legacy=false\n",
           (void *)base, version);
  }
  return 0;
}

// Set up queue 0 in a fresh page of monitor memory and tell the device
// where it is (4.2.3.2 "Virtqueue Configuration"). NULL or what failed.
static const char *setup_queue(uint64_t base) {
  reg_write(base, VIRTIO_MMIO_QUEUE_SEL, 0);
  if (reg_read(base, VIRTIO_MMIO_QUEUE_READY) != 0)
    return "queue 0 is already in use";
  if (reg_read(base, VIRTIO_MMIO_QUEUE_NUM_MAX) < QSIZE)
    return "queue 0 is missing or too small";
  uint64_t page = memmap_alloc(0, OWNER_MONITOR);
  if (page == 0)
    return "no memory for its queue";
  memset((void *)page, 0, PAGE_SIZE);
  disk.desc = (struct virtq_desc *)(page + DESC_OFF);
  disk.avail = (volatile struct avail_ring *)(page + AVAIL_OFF);
  disk.used = (volatile struct used_ring *)(page + USED_OFF);
  disk.req = (struct virtio_blk_req *)(page + REQ_OFF);
  disk.status = (volatile uint8_t *)(page + STATUS_OFF);
  disk.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;   // we poll

  reg_write(base, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
  uint64_t areas[3] = {page + DESC_OFF, page + AVAIL_OFF, page + USED_OFF};
  int regs[3] = {VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DRIVER_LOW,
                 VIRTIO_MMIO_QUEUE_DEVICE_LOW};
  for (int i = 0; i < 3; i++) {
    reg_write(base, regs[i], (uint32_t)areas[i]);
    reg_write(base, regs[i] + 4, (uint32_t)(areas[i] >> 32));
  }
  reg_write(base, VIRTIO_MMIO_QUEUE_READY, 1);
  return NULL;
}

// The capacity from the config space (5.2.4). A 64-bit field is read as
// two 32-bit halves, so read ConfigGeneration around them and try again
// if the device changed the config space meanwhile (2.5.1 "Driver
// Requirements: Device Configuration Space").
static uint64_t read_capacity(uint64_t base) {
  uint32_t gen, lo, hi;
  do {
    gen = reg_read(base, VIRTIO_MMIO_CONFIG_GENERATION);
    lo = reg_read(base, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY);
    hi = reg_read(base, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4);
  } while (gen != reg_read(base, VIRTIO_MMIO_CONFIG_GENERATION));
  return (uint64_t)hi << 32 | lo;
}

// Bring the device at base up, step by step as 3.1.1 lists them. Returns
// NULL, or what went wrong (the device is then marked FAILED).
static const char *start_device(uint64_t base) {
  // 1. Reset, and wait until the device says it is reset (2.4.2).
  reg_write(base, VIRTIO_MMIO_STATUS, 0);
  for (int i = 0; reg_read(base, VIRTIO_MMIO_STATUS) != 0; i++)
    if (i == 1000000)
      return "it does not reset";
  // 2-3. "I see you", "I can drive you".
  uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE;
  reg_write(base, VIRTIO_MMIO_STATUS, status);
  status |= VIRTIO_STATUS_DRIVER;
  reg_write(base, VIRTIO_MMIO_STATUS, status);
  // 4. Features: VIRTIO_F_VERSION_1 (bit 32, so bit 0 of set 1), and
  // VIRTIO_BLK_F_FLUSH if the disk offers it. Every other block feature is
  // an option (5.2.3) that one request at a time does without. FLUSH
  // matters: a driver that does not take it gets a write-through disk
  // (5.2.5.1: "the device MUST ... write through" without it), on which
  // QEMU makes the host sync every write; with it, writes land in a cache
  // and only a FLUSH request waits for the host's sync.
  reg_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  uint32_t bit = 1u << (VIRTIO_F_VERSION_1 - 32);
  if ((reg_read(base, VIRTIO_MMIO_DEVICE_FEATURES) & bit) == 0)
    return "it does not offer VIRTIO_F_VERSION_1";
  reg_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint32_t flush = reg_read(base, VIRTIO_MMIO_DEVICE_FEATURES) &
                   (1u << VIRTIO_BLK_F_FLUSH);
  disk.flush = flush != 0;
  reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES, flush);
  reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES, bit);
  // 5-6. Features done; the device clears FEATURES_OK if it disagrees.
  status |= VIRTIO_STATUS_FEATURES_OK;
  reg_write(base, VIRTIO_MMIO_STATUS, status);
  if ((reg_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
    return "it refused our features (FEATURES_OK cleared)";
  // 7. Device-specific setup: the queue, and the size.
  const char *err = setup_queue(base);
  if (err != NULL)
    return err;
  disk.capacity = read_capacity(base);
  // 8. Ready.
  status |= VIRTIO_STATUS_DRIVER_OK;
  reg_write(base, VIRTIO_MMIO_STATUS, status);
  return NULL;
}

void virtio_blk_init(void) {
  uint64_t base = find_disk();
  if (base == 0) {
    printf("virtio-blk: no disk\n");
    return;
  }
  const char *err = start_device(base);
  if (err != NULL) {
    reg_write(base, VIRTIO_MMIO_STATUS,
              reg_read(base, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
    disk.capacity = 0;
    printf("virtio-blk: the disk at %p is not usable: %s\n", (void *)base, err);
    return;
  }
  disk.base = base;
  printf("virtio-blk: disk at %p, %lu sectors (%lu MiB), %s\n", (void *)base,
         disk.capacity, disk.capacity * VIRTIO_BLK_SECTOR / MiB,
         disk.flush ? "write cache" : "write-through");
}

uint64_t virtio_blk_capacity(void) {
  return __atomic_load_n(&disk.capacity, __ATOMIC_ACQUIRE);
}

bool virtio_blk_has_flush(void) {
  return disk.flush;
}

// Put one request on the available ring, notify the device and poll the
// used ring until it comes back (2.7.13 "Supplying Buffers to The
// Device", 2.7.14 "Receiving Used Buffers From The Device"). `type` is
// VIRTIO_BLK_T_IN, _OUT (with len bytes at buf) or _FLUSH (no data).
// Returns the status byte, or -1 if the disk did not answer. Caller
// holds disk.lock.
static int do_request(uint32_t type, uint64_t sector, void *buf,
                      uint32_t len) {
  disk.req->type = type;
  disk.req->reserved = 0;
  disk.req->sector = sector;
  *disk.status = 0xff;                 // no status a device gives
  // The chain: header, data (the device writes it on a read), status.
  int n = 0;
  disk.desc[n] = (struct virtq_desc){(uint64_t)disk.req, sizeof(*disk.req),
                                     VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)};
  n++;
  if (type != VIRTIO_BLK_T_FLUSH) {
    uint16_t in = type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;
    disk.desc[n] = (struct virtq_desc){(uint64_t)buf, len,
                                       VIRTQ_DESC_F_NEXT | in, (uint16_t)(n + 1)};
    n++;
  }
  disk.desc[n] = (struct virtq_desc){(uint64_t)disk.status, 1,
                                     VIRTQ_DESC_F_WRITE, 0};
  disk.avail->ring[disk.avail->idx % QSIZE] = 0;   // head: descriptor 0
  virtio_fence();                      // the chain, then the index
  disk.avail->idx = disk.avail->idx + 1;
  virtio_fence();                      // the index, then the notification
  reg_write(disk.base, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

  uint64_t deadline = rdtime() + TIMEOUT_SECONDS * machine.timebase;
  while (disk.used->idx == disk.used_seen)
    if (rdtime() > deadline)
      return -1;
  virtio_fence();                      // the index, then what it covers
  disk.used_seen++;
  // We asked for no interrupt; should one be flagged anyway, clear it.
  uint32_t isr = reg_read(disk.base, VIRTIO_MMIO_INTERRUPT_STATUS);
  if (isr != 0)
    reg_write(disk.base, VIRTIO_MMIO_INTERRUPT_ACK, isr);
  return *disk.status;
}

// do_request, and give the disk up if it does not answer. Caller holds
// disk.lock.
static int request(uint32_t type, uint64_t sector, void *buf, uint32_t len) {
  int st = do_request(type, sector, buf, len);
  if (st < 0) {
    // A disk that stops answering is given up for good: the queue's
    // state is unknown now, and every later request would wait too.
    printf("virtio-blk: no answer from the disk in %d s; giving it up\n",
           TIMEOUT_SECONDS);
    __atomic_store_n(&disk.capacity, 0, __ATOMIC_RELEASE);
  }
  return st;
}

int virtio_blk_rw(uint64_t sector, void *buf, uint32_t nsectors, bool write) {
  if (nsectors == 0)
    return 0;
  if (nsectors > UINT32_MAX / VIRTIO_BLK_SECTOR)
    return -1;
  acquire(&disk.lock);
  int st = -1;
  if (sector <= disk.capacity && nsectors <= disk.capacity - sector)
    st = request(write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, buf,
                 nsectors * VIRTIO_BLK_SECTOR);
  release(&disk.lock);
  return st == VIRTIO_BLK_S_OK ? 0 : -1;
}

int virtio_blk_flush(void) {
  if (!disk.flush)
    return virtio_blk_capacity() > 0 ? 0 : -1;   // write-through: nothing to do
  acquire(&disk.lock);
  int st = disk.capacity > 0 ? request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0) : -1;
  release(&disk.lock);
  return st == VIRTIO_BLK_S_OK ? 0 : -1;
}
