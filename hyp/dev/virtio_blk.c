// hyp/dev/virtio_blk.c: the monitor's driver for the real disk (see
// hyp/dev/virtio_blk.h).
//
// The device is found and started as virtio 1.2 section 3.1.1 ("Driver
// Requirements: Device Initialization") and 4.2.3 ("MMIO-specific
// Initialization And Device Operation") say; register names are those of
// hyp/dev/virtio.h. Its one virtqueue lives in one page of monitor memory:
//
//   page + 0x000  descriptor table   QSIZE x 16 bytes
//   page + 0x400  available ring     (driver -> device)
//   page + 0x500  used ring          (device -> driver)
//   page + 0x800  request headers    one struct virtio_blk_req per slot
//   page + 0x900  status bytes       one per slot
//
// A request in flight holds one of VIRTIO_BLK_SLOTS slots, and slot s
// owns descriptors s*SLOT_DESCS.. for its chain (5.2.6), head first:
//
//   header ---> data 0 ---> ... ---> data n-1 ---> status
//   device      device reads them (write)           device
//   reads       or writes them (read)               writes
//
// so the head that comes back on the used ring names the slot. The
// driver asks for no interrupt (VIRTQ_AVAIL_F_NO_INTERRUPT): the monitor
// reaps finished requests when it passes by (hyp/dev/diskq.c).
#include "hyp/boot/machine.h"
#include "hyp/dev/virtio.h"
#include "hyp/dev/virtio_blk.h"
#include "hyp/mem/memmap.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

#define QSIZE 64             // descriptors in our queue
#define SLOT_DESCS 8         // per slot: header, up to 6 data, status
#define TIMEOUT_SECONDS 10   // a request the disk has not done by then: gone

_Static_assert(VIRTIO_BLK_SLOTS * SLOT_DESCS <= QSIZE, "slots fit the queue");
_Static_assert(VIRTIO_BLK_MAX_SEGS + 2 <= SLOT_DESCS, "a chain fits a slot");

#define DESC_OFF   0x000
#define AVAIL_OFF  0x400
#define USED_OFF   0x500
#define REQ_OFF    0x800
#define STATUS_OFF 0x900

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
  struct spinlock lock;       // protects all below (inflight, used_seen
                              //   and capacity are also read without it)
  uint64_t base;              // the device's registers
  uint64_t capacity;          // in 512-byte sectors; 0: no usable disk
  struct virtq_desc *desc;
  volatile struct avail_ring *avail;
  volatile struct used_ring *used;
  struct virtio_blk_req *req;       // req[s]: slot s's header
  volatile uint8_t *status;         // status[s]: slot s's status byte
  struct virtio_blk_io *slot[VIRTIO_BLK_SLOTS];   // NULL: free
  int inflight;               // slots taken
  uint16_t used_seen;         // used ring entries reaped so far
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
  disk.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;   // we reap as we pass

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
  // an option (5.2.3) that we do without. FLUSH
  // matters: a driver that does not take it gets a write-through disk
  // (5.2.6.2: a write is then stable once completed, and "the device MUST
  // ensure that stable writes are committed" first), on which QEMU makes
  // the host sync every write; with it, writes land in a cache and only a
  // FLUSH request waits for the host's sync.
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

// Chain io into slot s's descriptors and offer it to the device (2.7.13
// "Supplying Buffers to The Device"). Caller holds disk.lock.
static void start(int s, struct virtio_blk_io *io) {
  struct virtio_blk_req *req = &disk.req[s];
  req->type = io->type;
  req->reserved = 0;
  req->sector = io->type == VIRTIO_BLK_T_FLUSH ? 0 : io->sector;
  disk.status[s] = 0xff;               // no status a device gives
  uint16_t head = (uint16_t)(s * SLOT_DESCS), d = head;
  disk.desc[d] = (struct virtq_desc){(uint64_t)req, sizeof(*req),
                                     VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1)};
  d++;
  uint16_t in = io->type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;
  for (int i = 0; i < io->nseg; i++, d++)
    disk.desc[d] = (struct virtq_desc){io->seg[i].pa, io->seg[i].len,
                                       VIRTQ_DESC_F_NEXT | in, (uint16_t)(d + 1)};
  disk.desc[d] = (struct virtq_desc){(uint64_t)&disk.status[s], 1,
                                     VIRTQ_DESC_F_WRITE, 0};
  disk.slot[s] = io;
  disk.inflight++;
  io->submitted = rdtime();
  disk.avail->ring[disk.avail->idx % QSIZE] = head;
  virtio_fence();                      // the chain, then the index
  disk.avail->idx = disk.avail->idx + 1;
  virtio_fence();                      // the index, then the notification
  reg_write(disk.base, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

// Are io's sectors on the disk? Caller holds disk.lock.
static bool io_fits(const struct virtio_blk_io *io) {
  if (io->nseg < 0 || io->nseg > VIRTIO_BLK_MAX_SEGS)
    return false;
  if (io->type == VIRTIO_BLK_T_FLUSH)
    return io->nseg == 0;
  uint64_t bytes = 0;
  for (int i = 0; i < io->nseg; i++)
    bytes += io->seg[i].len;
  uint64_t n = bytes / VIRTIO_BLK_SECTOR;
  return bytes % VIRTIO_BLK_SECTOR == 0 && io->sector <= disk.capacity &&
         n <= disk.capacity - io->sector;
}

int virtio_blk_submit(struct virtio_blk_io *io) {
  acquire(&disk.lock);
  int s = -1;
  if (disk.capacity > 0 && io_fits(io))
    for (int i = 0; i < VIRTIO_BLK_SLOTS && s < 0; i++)
      if (disk.slot[i] == NULL)
        s = i;
  if (s >= 0)
    start(s, io);
  release(&disk.lock);
  return s >= 0 ? 0 : -1;
}

bool virtio_blk_done_waiting(void) {
  if (disk.used == NULL)
    return false;
  return disk.used->idx != __atomic_load_n(&disk.used_seen, __ATOMIC_RELAXED);
}

int virtio_blk_inflight(void) {
  return __atomic_load_n(&disk.inflight, __ATOMIC_RELAXED);
}

// Slot s is done with result r: hand its request back in done[]. Caller
// holds disk.lock.
static void finish_slot(int s, int r, struct virtio_blk_io **done, int *n) {
  struct virtio_blk_io *io = disk.slot[s];
  io->result = r;
  disk.slot[s] = NULL;
  disk.inflight--;
  done[(*n)++] = io;
}

// A request has waited TIMEOUT_SECONDS: the disk is given up for good
// (the queue's state is unknown now, and every later request would wait
// too), and everything in flight comes back failed, up to max of them.
// Caller holds disk.lock.
static int give_up(struct virtio_blk_io **done, int max) {
  printf("virtio-blk: no answer from the disk in %d s; giving it up\n",
         TIMEOUT_SECONDS);
  __atomic_store_n(&disk.capacity, 0, __ATOMIC_RELEASE);
  int n = 0;
  for (int s = 0; s < VIRTIO_BLK_SLOTS && n < max; s++)
    if (disk.slot[s] != NULL)
      finish_slot(s, -1, done, &n);
  return n;
}

int virtio_blk_reap(struct virtio_blk_io **done, int max) {
  acquire(&disk.lock);
  int n = 0;
  // 2.7.14 "Receiving Used Buffers From The Device": each new used
  // element names the head of a chain, which names its slot.
  while (n < max && disk.used != NULL && disk.used->idx != disk.used_seen) {
    virtio_fence();                    // the index, then what it covers
    uint32_t head = disk.used->ring[disk.used_seen % QSIZE].id;
    __atomic_store_n(&disk.used_seen, (uint16_t)(disk.used_seen + 1),
                     __ATOMIC_RELAXED);
    int s = (int)(head / SLOT_DESCS);
    if (head % SLOT_DESCS != 0 || s >= VIRTIO_BLK_SLOTS || disk.slot[s] == NULL) {
      printf("virtio-blk: the disk returned descriptor %u, which is no "
             "request of ours\n", head);
      continue;
    }
    finish_slot(s, disk.status[s] == VIRTIO_BLK_S_OK ? 0 : -1, done, &n);
  }
  // A request that never comes back.
  uint64_t now = rdtime(), limit = TIMEOUT_SECONDS * machine.timebase;
  for (int s = 0; s < VIRTIO_BLK_SLOTS && n == 0; s++)
    if (disk.slot[s] != NULL && now - disk.slot[s]->submitted > limit)
      n = give_up(done, max);
  release(&disk.lock);
  return n;
}
