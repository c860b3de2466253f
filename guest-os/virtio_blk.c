// guest-os/virtio_blk.c: the disk driver, for a virtio-blk device on
// virtio-mmio version 2 (see guest-os/disk.h; the spec's formats are
// drawn in guest-os/virtio.h).
//
// Finding the disk: the device tree lists QEMU virt's eight virtio-mmio
// slots (guest-os/machine.c); most are empty (DeviceID 0). We take the
// first slot whose DeviceID is 2. On the bare machine that slot is
// wherever QEMU plugged the drive; in a Disco-V VM it is the one slot the
// monitor describes (hyp/dev/vvirtio_blk.c), at 0x10001000.
//
// One queue of disk.num descriptors. A request is a chain of them: the
// header, one per 4 KiB block (consecutive blocks, up to RUN_MAX), the
// status byte (virtio 1.2, 5.2.6); a flush has no blocks. Each request's
// header and status live in reqs[], at the index of its first descriptor,
// so the used ring's "id" leads straight back to the request. The life
// of a request:
//
//   submit: take descriptors, fill     device
//   them, put the chain on the
//   available ring, idx++, notify  -->  reads the chain, does the I/O,
//   finish: sleep on the request        writes status, puts the chain on
//                                       the used ring, and raises its
//   disk_interrupt, on its hart    <--  interrupt
//   ack; for each new used entry: free
//   its descriptors, mark the request
//   done, wake its process
//   (woken) check the status
//
// A caller may have several requests in flight (disk_rw_run): the device
// may then work on them together. disk.lock guards the descriptors, the
// rings and reqs[]. Lock order: disk.lock before proc_lock.
//
// Polling instead of interrupts, the fallback: from the start when the
// slot's interrupt goes to no PLIC (QEMU's AIA APLIC), and from the moment
// the device is seen to finish requests that no interrupt announces
// (disk_tick). QEMU 7.2's virt machine does that on 2 NUMA nodes: it
// wires the virtio slots to node 1's PLIC, which never raises any hart's
// S-mode external interrupt (the PLIC shows the source pending, enabled
// above threshold and claimable; no hart's sip.SEIP ever rises).
#include "guest-os/disk.h"
#include "guest-os/fs_format.h"
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "guest-os/plic.h"
#include "guest-os/proc.h"
#include "guest-os/virtio.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "kernel/spinlock.h"

#define QMAX 64                 // the largest queue we use
#define RUN_MAX 8               // blocks in one request, at most

// The queue's three parts (virtio 1.2, 2.7), in one page that is ours
// alone, sized for QMAX (the device is told disk.num <= QMAX, and uses
// the first disk.num entries of each array). The event indexes follow
// the first disk.num entries, wherever that is (used_event(),
// avail_event()): room for them is left after the QMAX. The kernel's
// addresses are physical ones (memory is identity-mapped), which is what
// the device wants.
static struct {
  struct vring_desc desc[QMAX];             // 16-byte aligned, 2.7.5
  struct {                                  // 2-byte aligned, 2.7.6
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[QMAX];
    uint16_t room;                          // used_event when num = QMAX
  } avail;
  struct {                                  // 4-byte aligned, 2.7.8
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[QMAX];
    uint16_t room;                          // avail_event when num = QMAX
  } used;
} vq __attribute__((aligned(PAGE_SIZE)));

// A request's own memory: what its first and last descriptors point at.
struct request {
  struct vblk_header hdr;
  volatile uint8_t status;      // written by the device
  bool busy;                    // on the rings, not yet seen done
};

static struct {
  struct spinlock lock;
  uint64_t base;                // the slot's registers; 0: no disk
  uint64_t blocks;              // its size in 4 KiB blocks
  int num;                      // queue size in use (<= QMAX)
  bool polled;                  // no interrupt we can take: spin instead
  uint64_t interrupts;          // taken so far
  uint64_t unannounced;         // rdtime when done requests were first
                                // seen unannounced; 0: none are
  bool flush;                   // it has a write cache and FLUSH
  bool event_idx;               // VIRTIO_F_EVENT_IDX agreed on
  uint16_t kicked;              // avail idx when we last told the device
  bool desc_free[QMAX];
  int nfree;                    // how many of desc_free are true
  uint16_t used_seen;           // used ring entries handled so far
  struct request reqs[QMAX];    // by first descriptor
  uint64_t reads, writes, flushes;  // blocks read and written; flushes
  uint64_t straight;            // of the reads, disk_read_straight's
} disk = {.lock = SPINLOCK_INIT("disk")};

// The event indexes (2.7.6, 2.7.8): after the ring's disk.num entries.
static uint16_t *used_event(void) {
  return (uint16_t *)((uint64_t)&vq.avail.ring + 2 * (uint64_t)disk.num);
}
static uint16_t *avail_event(void) {
  return (uint16_t *)((uint64_t)&vq.used.ring + 8 * (uint64_t)disk.num);
}

// The 32-bit register at offset off.
static uint32_t rd(uint64_t off) {
  return *(volatile uint32_t *)(disk.base + off);
}
static void wr(uint64_t off, uint32_t v) {
  *(volatile uint32_t *)(disk.base + off) = v;
}

// Write a 64-bit address into a Low/High register pair.
static void wr64(uint64_t off, uint64_t v) {
  wr(off, (uint32_t)v);
  wr(off + 4, (uint32_t)(v >> 32));
}

// The device's size in sectors, from its config space (5.2.4). A le64
// read as two 32-bit halves, so read it again if the device changed its
// config in between (ConfigGeneration moved, 4.2.2.2).
static uint64_t read_capacity(void) {
  uint32_t gen, lo, hi;
  do {
    gen = rd(VIO_CONFIG_GEN);
    lo = rd(VIO_CONFIG + VBLK_CAPACITY);
    hi = rd(VIO_CONFIG + VBLK_CAPACITY + 4);
  } while (gen != rd(VIO_CONFIG_GEN));
  return (uint64_t)hi << 32 | lo;
}

// Bring up the device at disk.base, as 3.1.1 orders: reset, ACKNOWLEDGE,
// DRIVER, features, FEATURES_OK, the queue, DRIVER_OK. NULL if it worked,
// else what went wrong (the device is then marked FAILED).
static const char *bring_up(void) {
  wr(VIO_STATUS, 0);
  wr(VIO_STATUS, VSTAT_ACKNOWLEDGE);
  wr(VIO_STATUS, VSTAT_ACKNOWLEDGE | VSTAT_DRIVER);

  // Features: VERSION_1 (bit 32) always, FLUSH (bit 9) and EVENT_IDX
  // (bit 29) if offered, and nothing else. Polling, we want no interrupt
  // at all, which the plain flag says best: no EVENT_IDX then.
  wr(VIO_DEV_FEATURES_SEL, 1);
  if ((rd(VIO_DEV_FEATURES) & (1U << (VIRTIO_F_VERSION_1 - 32))) == 0)
    return "it does not offer VIRTIO_F_VERSION_1";
  wr(VIO_DEV_FEATURES_SEL, 0);
  uint32_t offered = rd(VIO_DEV_FEATURES);
  disk.flush = (offered & (1U << VIRTIO_BLK_F_FLUSH)) != 0;
  disk.event_idx = (offered & (1U << VIRTIO_F_EVENT_IDX)) != 0 && !disk.polled;
  wr(VIO_DRV_FEATURES_SEL, 0);
  wr(VIO_DRV_FEATURES, (disk.flush ? 1U << VIRTIO_BLK_F_FLUSH : 0) |
                       (disk.event_idx ? 1U << VIRTIO_F_EVENT_IDX : 0));
  wr(VIO_DRV_FEATURES_SEL, 1);
  wr(VIO_DRV_FEATURES, 1U << (VIRTIO_F_VERSION_1 - 32));
  uint32_t status = VSTAT_ACKNOWLEDGE | VSTAT_DRIVER | VSTAT_FEATURES_OK;
  wr(VIO_STATUS, status);
  if ((rd(VIO_STATUS) & VSTAT_FEATURES_OK) == 0)
    return "it refused our features";

  // Queue 0, the only one a disk has (5.2.2), placed in vq (4.2.3.2).
  wr(VIO_QUEUE_SEL, 0);
  if (rd(VIO_QUEUE_READY) != 0)
    return "its queue 0 is in use already";
  uint32_t max = rd(VIO_QUEUE_NUM_MAX);
  if (max < 3)
    return "its queue 0 is too small for one request";
  // A split queue's size is a power of 2 (2.7), which the ring indexes
  // (16-bit counters taken modulo the size) rely on.
  disk.num = QMAX;
  while ((uint32_t)disk.num > max)
    disk.num /= 2;
  wr(VIO_QUEUE_NUM, (uint32_t)disk.num);
  wr64(VIO_QUEUE_DESC, (uint64_t)vq.desc);
  wr64(VIO_QUEUE_DRIVER, (uint64_t)&vq.avail);
  wr64(VIO_QUEUE_DEVICE, (uint64_t)&vq.used);
  // Polling, we want no interrupts at all (2.7.7).
  vq.avail.flags = disk.polled ? VRING_AVAIL_F_NO_INTERRUPT : 0;
  wr(VIO_QUEUE_READY, 1);
  for (int i = 0; i < disk.num; i++)
    disk.desc_free[i] = true;
  disk.nfree = disk.num;

  disk.blocks = read_capacity() / FS_SECTORS;
  wr(VIO_STATUS, status | VSTAT_DRIVER_OK);
  return NULL;
}

void disk_init(void) {
  for (int i = 0; i < machine.nvirtio; i++) {
    struct virtio_slot *slot = &machine.virtio[i];
    disk.base = slot->base;
    if (rd(VIO_MAGIC) != VIRTIO_MAGIC || rd(VIO_DEVICE_ID) != VIRTIO_DEV_BLOCK)
      continue;                     // an empty slot, or not a disk
    uint32_t version = rd(VIO_VERSION);
    if (version != 2) {
      printf("guest-os: disk at %p is a legacy virtio device (version %u, "
             "want 2); not used\n", (void *)slot->base, version);
      continue;
    }
    disk.polled = slot->plic < 0;
    const char *why = bring_up();
    if (why != NULL) {
      wr(VIO_STATUS, VSTAT_FAILED);
      printf("guest-os: disk at %p not used: %s\n", (void *)slot->base, why);
      continue;
    }
    if (!disk.polled)
      plic_attach(slot->plic, slot->irq, disk_interrupt);
    char how[48];
    if (disk.polled)
      snprintf(how, sizeof(how), "polled");
    else
      snprintf(how, sizeof(how), "interrupt %u of PLIC %d", slot->irq,
               slot->plic);
    printf("guest-os: disk: virtio-blk at %p, %lu blocks of 4 KiB, queue of "
           "%d, %s, %s\n", (void *)slot->base, disk.blocks, disk.num,
           disk.flush ? "write cache" : "write-through", how);
    return;
  }
  disk.base = 0;
  printf("guest-os: no disk\n");
}

uint64_t disk_blocks(void) { return disk.base != 0 ? disk.blocks : 0; }

// Offer the device a request of `type` for n blocks from sector-block
// `block`, the block i in pages[i] (n = 0 for a flush): its first
// descriptor, or -1 if too few descriptors are free now. Caller holds
// disk.lock.
static int submit(uint32_t type, void *const pages[], int n, uint64_t block) {
  if (disk.nfree < n + 2)
    return -1;
  int d[RUN_MAX + 2], k = 0;
  for (int i = 0; i < disk.num && k < n + 2; i++)
    if (disk.desc_free[i])
      d[k++] = i;
  for (int i = 0; i < k; i++)
    disk.desc_free[d[i]] = false;
  disk.nfree -= k;

  struct request *r = &disk.reqs[d[0]];
  r->hdr.type = type;
  r->hdr.reserved = 0;
  r->hdr.sector = block * FS_SECTORS;
  r->status = 0xff;               // anything but VBLK_S_OK
  r->busy = true;
  // The chain: the header (device reads), the blocks (the device writes
  // them on a read), the status byte (device writes).
  vq.desc[d[0]] = (struct vring_desc){(uint64_t)&r->hdr, sizeof(r->hdr),
                                      VRING_F_NEXT, (uint16_t)d[1]};
  for (int i = 0; i < n; i++)
    vq.desc[d[1 + i]] = (struct vring_desc){
        (uint64_t)pages[i], FS_BLOCK,
        VRING_F_NEXT | (type == VBLK_T_IN ? VRING_F_WRITE : 0),
        (uint16_t)d[2 + i]};
  vq.desc[d[n + 1]] = (struct vring_desc){(uint64_t)&r->status, 1,
                                          VRING_F_WRITE, 0};

  // Offer it (2.7.13): the ring entry, then the new idx (the release
  // orders everything above before it). The device hears of it at the
  // next kick, before anyone waits.
  vq.avail.ring[vq.avail.idx % disk.num] = (uint16_t)d[0];
  __atomic_store_n(&vq.avail.idx, (uint16_t)(vq.avail.idx + 1), __ATOMIC_RELEASE);
  return d[0];
}

// Tell the device of the requests made available since the last kick,
// unless it said it needs no telling (2.7.10): with EVENT_IDX, if its
// avail_event is among them; else unless VRING_USED_F_NO_NOTIFY. A
// device that says so is busy and looks at the ring by itself. The fence
// orders our idx before our look at its wish (the device fences the
// other way: one of us sees the other's write), and before the register
// store (device I/O). Caller holds disk.lock, and kicks before it lets
// go of it or waits.
static void kick(void) {
  uint16_t now = vq.avail.idx;
  if (now == disk.kicked)
    return;
  asm volatile("fence iorw, iorw" ::: "memory");
  bool tell;
  if (disk.event_idx)
    tell = vring_need_event(__atomic_load_n(avail_event(), __ATOMIC_RELAXED), now,
                            disk.kicked);
  else
    tell = !(__atomic_load_n(&vq.used.flags, __ATOMIC_RELAXED) & VRING_USED_F_NO_NOTIFY);
  disk.kicked = now;
  if (!tell)
    return;
  // In a Disco-V VM, the store by monitor call: one trap either way, but
  // the monitor need not fetch and decode our instruction (Disco 4.2.4).
  if (page_monitor_calls())
    sbi_call(SBI_EXT_DISCO, SBI_DISCO_MMIO_STORE, disk.base + VIO_QUEUE_NOTIFY,
             0, 0, 0, 0, 0);
  else
    wr(VIO_QUEUE_NOTIFY, 0);
}

// Take the requests the device has put on the used ring since we last
// looked: free their descriptors, mark them done, wake whoever waits.
// With EVENT_IDX, then ask for an interrupt at the next entry (used_event)
// and look again: an entry put there before the device saw our asking
// raises none (2.7.7.2; the fence pairs with the device's).
// Caller holds disk.lock.
static void collect(void) {
  // The acquire makes the device's writes to the used entries and the
  // status bytes, done before it moved idx, visible to the loads below.
  uint16_t idx = __atomic_load_n(&vq.used.idx, __ATOMIC_ACQUIRE);
  bool freed = false;
  for (;;) {
    if (disk.used_seen == idx) {
      if (!disk.event_idx || *used_event() == idx)
        break;
      __atomic_store_n(used_event(), idx, __ATOMIC_RELAXED);
      asm volatile("fence rw, rw" ::: "memory");
      idx = __atomic_load_n(&vq.used.idx, __ATOMIC_ACQUIRE);
      continue;
    }
    uint32_t id = vq.used.ring[disk.used_seen % disk.num].id;
    if (id >= (uint32_t)disk.num || !disk.reqs[id].busy)
      panic("disk: the device used descriptor %u, which is not a request", id);
    for (uint32_t i = id;; i = vq.desc[i].next) {
      disk.desc_free[i] = true;
      disk.nfree++;
      if (!(vq.desc[i].flags & VRING_F_NEXT))
        break;
    }
    disk.reqs[id].busy = false;
    proc_wakeup(&disk.reqs[id]);
    disk.used_seen++;
    freed = true;
  }
  if (freed)
    proc_wakeup(disk.desc_free);
}

void disk_interrupt(void) {
  acquire(&disk.lock);
  disk.interrupts++;
  // Lower the line first (4.2.2: acknowledge with InterruptACK), then look
  // at the ring: a request done after the look raises the line again, so
  // none is missed. Both bits are written back without reading
  // InterruptStatus: this driver handles a used buffer and ignores a
  // configuration change either way, and a bit that was not set clears
  // nothing; in a Disco-V VM the read would be one more trap per request,
  // and the monitor call that took the interrupt acknowledged it already
  // (guest-os/plic.c).
  if (!plic_device_acked())
    wr(VIO_INT_ACK, VIO_INT_USED | VIO_INT_CONFIG);
  collect();
  release(&disk.lock);
}

void disk_tick(void) {
  if (disk.base == 0)
    return;
  acquire(&disk.lock);
  bool waiting = __atomic_load_n(&vq.used.idx, __ATOMIC_ACQUIRE) != disk.used_seen;
  if (!disk.polled && waiting && disk.interrupts == 0) {
    // Done requests, and never an interrupt: give it 100 ms (the hart
    // that takes it may be busy, or in a VM off its hart), then poll.
    uint64_t now = rdtime();
    if (disk.unannounced == 0) {
      disk.unannounced = now;
    } else if (now - disk.unannounced > machine.timebase / 10) {
      disk.polled = true;
      printf("guest-os: disk: the device finishes requests but its interrupt "
             "never comes; polling instead\n");
    }
  }
  // Polling, wake the sleepers that went to sleep before the switch (and
  // anyone, should the spinners be slow to look).
  if (disk.polled)
    collect();
  release(&disk.lock);
}

// Wait until something happens on the used ring: asleep until
// disk_interrupt wakes us or, polling, by looking ourselves (keeping the
// lock: polling is the fallback, not the fast path); the device is told
// of our requests first (kick). Caller holds disk.lock; chan is what
// disk_interrupt wakes for the event awaited.
static void wait_device(const void *chan) {
  kick();
  if (disk.polled)
    collect();
  else
    proc_sleep(chan, &disk.lock);
}

// Wait until the request whose first descriptor is head is done, and
// check how it went. Caller holds disk.lock.
static void finish(int head) {
  struct request *r = &disk.reqs[head];
  while (r->busy)
    wait_device(r);
  if (r->status != VBLK_S_OK)
    panic("disk: request of type %u at block %lu failed with status %u",
          r->hdr.type, r->hdr.sector / FS_SECTORS, r->status);
}

void disk_rw_run(void *const pages[], uint64_t first, int n, bool write) {
  if (n < 1 || first >= disk_blocks() || (uint64_t)n > disk_blocks() - first)
    panic("disk_rw_run: blocks %lu + %d are not on the disk (%lu blocks)",
          first, n, disk_blocks());
  uint32_t type = write ? VBLK_T_OUT : VBLK_T_IN;
  int per = disk.num - 2 < RUN_MAX ? disk.num - 2 : RUN_MAX;
  int pending[QMAX], npending = 0, sent = 0;
  acquire(&disk.lock);
  // Send requests while descriptors last; when they run out, wait for our
  // oldest one (or, with none of ours in flight, for anyone's).
  while (sent < n || npending > 0) {
    int k = n - sent < per ? n - sent : per;
    int head = sent < n ? submit(type, pages + sent, k, first + sent) : -1;
    if (head >= 0) {
      pending[npending++] = head;
      sent += k;
    } else if (npending > 0) {
      finish(pending[0]);
      for (int i = 1; i < npending; i++)
        pending[i - 1] = pending[i];
      npending--;
    } else {
      wait_device(disk.desc_free);
    }
  }
  if (write)
    disk.writes += (uint64_t)n;
  else
    disk.reads += (uint64_t)n;
  release(&disk.lock);
}

void disk_rw(void *page, uint64_t block, bool write) {
  disk_rw_run(&page, block, 1, write);
}

void disk_read_straight(void *page, uint64_t block) {
  disk_rw(page, block, false);
  __atomic_add_fetch(&disk.straight, 1, __ATOMIC_RELAXED);
}

void disk_flush(void) {
  if (!disk.flush)
    return;
  acquire(&disk.lock);
  int head;
  while ((head = submit(VBLK_T_FLUSH, NULL, 0, 0)) < 0)
    wait_device(disk.desc_free);
  finish(head);
  disk.flushes++;
  release(&disk.lock);
}

void disk_print_stats(void) {
  if (disk.base != 0)
    printf("guest-os: disk: %lu blocks read, %lu written, %lu flushes, "
           "%lu read straight\n", disk.reads, disk.writes, disk.flushes,
           disk.straight);
}
