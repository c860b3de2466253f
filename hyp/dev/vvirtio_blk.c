// hyp/dev/vvirtio_blk.c: a VM's virtual disk (see hyp/dev/vvirtio_blk.h).
//
// Two halves, as in every virtio device (virtio 1.2; register and ring
// layouts are drawn in hyp/dev/virtio.h):
//
//   the transport, virtio-mmio version 2 (4.2.2): registers the guest's
//   driver reads and writes to find the device, agree on features
//   (VIRTIO_F_VERSION_1, and VIRTIO_BLK_F_FLUSH when the real disk has a
//   write cache), and place queue 0 in its memory;
//
//   the queue, a split virtqueue (2.7): when the driver writes
//   QueueNotify, the device takes every new entry of the available ring,
//   serves the request (5.2.6: header, data, status byte), puts the chain
//   on the used ring and raises InterruptStatus bit 0, which is the
//   device's line to the VM's PLIC (source 1, as on QEMU virt).
//
// Requests are served at once, inside the guest's QueueNotify store: the
// vCPU waits in the monitor while the real disk works (hyp/dev/virtio_blk.c
// polls it). Simple, and the guest cannot tell: its driver sees the used
// ring and the interrupt as soon as its store is done.
//
// Everything in guest memory is read through vm_copy_from_guest and
// written through vm_copy_to_guest, which refuse any byte outside the VM's
// RAM; and every buffer a request names is checked against the VM's RAM
// before the device does anything, so that a request with one bad buffer
// changes nothing on the disk nor in memory but its status byte. The driver may change its rings
// while we read them (another vCPU); we copy each descriptor once and use
// only the copy, so what we checked is what we use.
#include "hyp/mem/pmap.h"
#include "hyp/dev/virtio.h"
#include "hyp/dev/virtio_blk.h"
#include "hyp/dev/virtq_chain.h"
#include "hyp/vm/vm.h"
#include "hyp/dev/vvirtio_blk.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

#define VENDOR 0x43534944   // "DISC", little-endian: ours, not QEMU's
#define CONFIG_SIZE 0x40    // the config space the guest may read (5.2.4)
#define ID_PREFIX "disco-v:"

// ---- Its region of the real disk ----
// Fixed by the configuration (hyp/vm/vmconfig.h: regions in file order, from
// sector 0), so a VM that reboots finds its region again with what it
// wrote there, and a host tool can lay out the machine's disk to match.

int vvirtio_blk_init(struct vm *vm, const struct vm_config *cfg, char *why,
                     int n) {
  if (cfg->disk == 0)
    return 0;                     // no disk: no device in its window
  uint64_t mib = cfg->disk / MiB;
  uint64_t disk = virtio_blk_capacity();
  if (disk == 0) {
    snprintf(why, (size_t)n, "disk-mib = <%lu>, but the machine has no "
             "virtio-blk disk (tools/qemu.py --disk)", mib);
    return -1;
  }
  uint64_t first = cfg->disk_offset / VIRTIO_BLK_SECTOR;
  uint64_t count = cfg->disk / VIRTIO_BLK_SECTOR;
  if (first > disk || count > disk - first) {
    snprintf(why, (size_t)n, "disk-mib = <%lu> from MiB %lu of the "
             "machine's disk, but it has only %lu MiB", mib,
             cfg->disk_offset / MiB, disk * VIRTIO_BLK_SECTOR / MiB);
    return -1;
  }
  vm->blk.present = true;
  vm->blk.first_sector = first;
  vm->blk.nsectors = count;
  printf("vm %s: disk of %lu MiB: sectors %lu..%lu of the machine's disk\n",
         cfg->name, mib, vm->blk.first_sector,
         vm->blk.first_sector + vm->blk.nsectors - 1);
  return 0;
}

bool vvirtio_blk_irq_level(struct vm *vm) {
  return vm->blk.interrupt_status != 0;
}

bool vvirtio_blk_present(struct vm *vm) { return vm->blk.present; }

// ---- Descriptor chains ----
// Reading a request's chain and moving bytes through it are in
// hyp/dev/virtq_chain.c (struct chain: the buffers, the out and in streams),
// small and pure enough to be fuzzed on the host.

// ---- Requests (5.2.6 "Device Operation") ----

// Is [sector, sector + len bytes) whole sectors inside the VM's region?
static bool in_region(struct vvirtio_blk *b, uint64_t sector, uint64_t len) {
  uint64_t n = len / VIRTIO_BLK_SECTOR;
  return len % VIRTIO_BLK_SECTOR == 0 && sector <= b->nsectors &&
         n <= b->nsectors - sector;
}

// The real disk's work for this VM (hyp/dev/virtio_blk.c), timed: the
// monitor waits for it inside the guest's notify, and wait_ticks says how
// much of the monitor's time on the VM's disk requests that was.
static int real_rw(struct vvirtio_blk *b, uint64_t sector, void *buf,
                   uint64_t bytes, bool write) {
  uint64_t t0 = rdtime();
  int r = virtio_blk_rw(sector, buf, (uint32_t)(bytes / VIRTIO_BLK_SECTOR),
                        write);
  b->wait_ticks += rdtime() - t0;
  return r;
}

static int real_flush(struct vvirtio_blk *b) {
  uint64_t t0 = rdtime();
  int r = virtio_blk_flush();
  b->wait_ticks += rdtime() - t0;
  return r;
}

// ---- Straight to and from the guest's pages ----
// Disco's monitor let the real disk's DMA go straight into the VM's
// machine pages (Disco 4.2.4), with no copy. We do the same when we can:
// the data stream (the chain's readable or writable buffers from byte
// `off`, `len` bytes) is cut where a buffer or a guest page ends, and if
// every piece is whole sectors (a guest that moves page-aligned blocks,
// as guest-os does), each piece is one request of the real disk at the
// piece's machine address (pmap_lookup; a page never touched is filled
// first, as a guest access would). Otherwise the data goes through the
// bounce buffer, a copy at a time.

// Walk the pieces of the stream; with `io`, do the disk request of each,
// starting at real sector `at`. Returns 0; 1 if some piece is not whole
// sectors (then, without io, nothing was done); -1 on an error.
static int direct(struct vm *vm, struct vvirtio_blk *b, const struct chain *c,
                  bool in, uint64_t off, uint64_t len, uint64_t at, bool io) {
  for (int i = 0; i < c->n && len > 0; i++) {
    const struct seg *s = &c->seg[i];
    if (s->write != in)
      continue;
    if (off >= s->len) {          // still before the data
      off -= s->len;
      continue;
    }
    uint64_t gpa = s->addr + off, left = s->len - off;
    off = 0;
    while (left > 0 && len > 0) {
      uint64_t n = PAGE_SIZE - gpa % PAGE_SIZE;   // to the page's end
      n = n < left ? n : left;
      n = n < len ? n : len;
      if (n % VIRTIO_BLK_SECTOR != 0)
        return 1;
      if (io) {
        uint64_t pa = pmap_lookup(&vm->pmap, gpa);
        if (pa == 0 && pmap_fault(&vm->pmap, gpa) == 0)
          pa = pmap_lookup(&vm->pmap, gpa);
        if (pa == 0 || real_rw(b, at, (void *)pa, n, !in) < 0)
          return -1;
        at += n / VIRTIO_BLK_SECTOR;
      }
      gpa += n, left -= n, len -= n;
    }
  }
  return 0;
}

// Move len bytes between the region (from real sector `at`) and the
// stream: straight if every piece allows it, else through the bounce
// buffer. Returns 0 or -1.
static int move_data(struct vm *vm, struct vvirtio_blk *b,
                     const struct chain *c, bool in, uint64_t off,
                     uint64_t len, uint64_t at) {
  if (direct(vm, b, c, in, off, len, at, false) == 0) {
    b->direct++;
    return direct(vm, b, c, in, off, len, at, true) == 0 ? 0 : -1;
  }
  for (uint64_t done = 0; done < len; done += VVIRTIO_BOUNCE) {
    uint64_t n = len - done < VVIRTIO_BOUNCE ? len - done : VVIRTIO_BOUNCE;
    uint64_t sector = at + done / VIRTIO_BLK_SECTOR;
    if (in) {
      if (real_rw(b, sector, b->bounce, n, false) < 0 ||
          chain_copy(vm, c, true, off + done, b->bounce, n) < 0)
        return -1;
    } else {
      if (chain_copy(vm, c, false, off + done, b->bounce, n) < 0 ||
          real_rw(b, sector, b->bounce, n, true) < 0)
        return -1;
    }
  }
  return 0;
}

// VIRTIO_BLK_T_IN: the region's sectors into the in stream (all of it but
// the status byte). Returns the status; sets *written to the bytes
// written into the guest's buffers.
static uint8_t do_read(struct vm *vm, struct vvirtio_blk *b,
                       const struct chain *c, uint64_t sector,
                       uint32_t *written) {
  uint64_t len = c->in_len - 1;
  if (!in_region(b, sector, len) ||
      move_data(vm, b, c, true, 0, len, b->first_sector + sector) < 0)
    return VIRTIO_BLK_S_IOERR;
  b->reads++;
  *written = (uint32_t)len + 1;
  return VIRTIO_BLK_S_OK;
}

// VIRTIO_BLK_T_OUT: the out stream after the header onto the region's
// sectors. Returns the status.
static uint8_t do_write(struct vm *vm, struct vvirtio_blk *b,
                        const struct chain *c, uint64_t sector) {
  uint64_t hdr = sizeof(struct virtio_blk_req);
  uint64_t len = c->out_len - hdr;
  if (!in_region(b, sector, len) ||
      move_data(vm, b, c, false, hdr, len, b->first_sector + sector) < 0)
    return VIRTIO_BLK_S_IOERR;
  b->writes++;
  return VIRTIO_BLK_S_OK;
}

// VIRTIO_BLK_T_FLUSH (offered when the real disk has a write cache): make
// the VM's writes durable by flushing the real disk. It flushes the other
// VMs' writes too, which costs them nothing they did not ask for.
static uint8_t do_flush(struct vvirtio_blk *b) {
  if (!(b->drv_features & (1UL << VIRTIO_BLK_F_FLUSH)))
    return VIRTIO_BLK_S_UNSUPP;          // not agreed on (5.2.6.2)
  if (real_flush(b) < 0)
    return VIRTIO_BLK_S_IOERR;
  b->flushes++;
  return VIRTIO_BLK_S_OK;
}

// VIRTIO_BLK_T_GET_ID: the device's id string, "disco-v:<vm name>",
// NUL-padded to 20 bytes (no NUL if it is 20 long), or as much of it as
// the buffer holds.
static uint8_t get_id(struct vm *vm, const struct chain *c, uint32_t *written) {
  char id[VIRTIO_BLK_ID_BYTES + 1];
  memset(id, 0, sizeof(id));
  snprintf(id, sizeof(id), "%s%s", ID_PREFIX, vm->name);
  uint64_t n = c->in_len - 1;
  if (n > VIRTIO_BLK_ID_BYTES)
    n = VIRTIO_BLK_ID_BYTES;
  if (chain_copy(vm, c, true, 0, id, n) < 0)
    return VIRTIO_BLK_S_IOERR;
  *written = (uint32_t)n + 1;
  return VIRTIO_BLK_S_OK;
}

// Serve one well-formed request whose buffers are all in RAM. Returns its
// status; *written as for do_read.
static uint8_t serve(struct vm *vm, struct vvirtio_blk *b,
                     const struct chain *c, uint32_t *written) {
  struct virtio_blk_req h;
  if (c->out_len < sizeof(h) || chain_copy(vm, c, false, 0, &h, sizeof(h)) < 0)
    return VIRTIO_BLK_S_IOERR;
  switch (h.type) {
  case VIRTIO_BLK_T_IN: return do_read(vm, b, c, h.sector, written);
  case VIRTIO_BLK_T_OUT: return do_write(vm, b, c, h.sector);
  case VIRTIO_BLK_T_FLUSH: return do_flush(b);
  case VIRTIO_BLK_T_GET_ID: return get_id(vm, c, written);
  default: return VIRTIO_BLK_S_UNSUPP;
  }
}

// The request whose chain starts at `head`: serve it, or refuse it, and
// write its status byte. Returns the used ring's len: bytes written into
// the guest's buffers. A chain we cannot walk to its end, or whose status
// byte is not in the VM's RAM, has no status byte we could write: it goes
// back on the used ring with len 0, untouched.
static uint32_t do_request(struct vm *vm, struct vvirtio_blk *b,
                           uint16_t head) {
  struct chain c;
  if (chain_read(vm, b->desc, b->queue_num, head, &c) < 0 || c.in_len == 0) {
    b->errors++;
    return 0;
  }
  uint32_t written = 1;
  uint8_t status = chain_in_ram(vm, &c) ? serve(vm, b, &c, &written)
                                        : VIRTIO_BLK_S_IOERR;
  if (status != VIRTIO_BLK_S_OK) {
    b->errors++;
    written = 1;
  }
  if (chain_copy(vm, &c, true, c.in_len - 1, &status, 1) < 0)
    return 0;
  return written;
}

// ---- The queue ----

// Something is wrong that only a reset can cure (the driver broke its
// rings): say so as 2.1.2 asks, with DEVICE_NEEDS_RESET and a
// configuration-change interrupt. The queue is not used again until the
// driver resets the device.
static void device_error(struct vvirtio_blk *b) {
  b->status |= VIRTIO_STATUS_NEEDS_RESET;
  b->interrupt_status |= VIRTIO_INT_CONFIG;
  b->errors++;
}

static int read16(struct vm *vm, uint64_t gpa, uint16_t *v) {
  return vm_copy_from_guest(vm, v, gpa, sizeof(*v));
}

// Put chain `head` on the used ring with `len`: the element first, then
// the index, so a driver that sees the index sees the element (2.7.8).
static int put_used(struct vm *vm, struct vvirtio_blk *b, uint16_t head,
                    uint32_t len) {
  struct virtq_used_elem e = {head, len};
  uint64_t slot = b->used + VIRTQ_USED_RING(b->used_idx % b->queue_num);
  if (vm_copy_to_guest(vm, slot, &e, sizeof(e)) < 0)
    return -1;
  b->used_idx++;
  virtio_fence();
  return vm_copy_to_guest(vm, b->used + VIRTQ_USED_IDX, &b->used_idx,
                          sizeof(b->used_idx));
}

// QueueNotify for queue 0: serve every request the available ring holds
// now (2.7.13 from the device's side), then interrupt the driver unless
// it asked not to be (VIRTQ_AVAIL_F_NO_INTERRUPT, 2.7.7).
static void serve_queue(struct vm *vm, struct vvirtio_blk *b) {
  if (!(b->status & VIRTIO_STATUS_DRIVER_OK) || !b->queue_ready ||
      (b->status & VIRTIO_STATUS_NEEDS_RESET))
    return;
  uint16_t avail_idx, flags, head;
  if (read16(vm, b->avail + VIRTQ_AVAIL_IDX, &avail_idx) < 0 ||
      (uint16_t)(avail_idx - b->last_avail) > b->queue_num) {
    device_error(b);          // unreadable, or more entries than the queue has
    return;
  }
  bool served = false;
  while (b->last_avail != avail_idx) {
    uint64_t slot = b->avail + VIRTQ_AVAIL_RING(b->last_avail % b->queue_num);
    if (read16(vm, slot, &head) < 0) {
      device_error(b);
      return;
    }
    uint32_t len = do_request(vm, b, head);
    if (put_used(vm, b, head, len) < 0) {
      device_error(b);
      return;
    }
    b->last_avail++;
    served = true;
  }
  if (served && read16(vm, b->avail + VIRTQ_AVAIL_FLAGS, &flags) == 0 &&
      !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
    b->interrupt_status |= VIRTIO_INT_USED;
}

// ---- The transport (4.2.2 "MMIO Device Register Layout") ----

// Back to the state after power-on (2.4, "Device Reset"); the VM keeps
// its region, and the counters go on.
static void reset(struct vvirtio_blk *b) {
  b->status = 0;
  b->dev_features_sel = b->drv_features_sel = b->queue_sel = 0;
  b->drv_features = 0;
  b->interrupt_status = 0;
  b->queue_num = 0;
  b->queue_ready = false;
  b->desc = b->avail = b->used = 0;
  b->last_avail = b->used_idx = 0;
}

// The features we offer: VIRTIO_F_VERSION_1, and VIRTIO_BLK_F_FLUSH when
// the real disk has a write cache (then the guest's writes may sit in it,
// and the guest must be able to ask for them to be made durable).
static uint64_t offered(void) {
  uint64_t f = 1UL << VIRTIO_F_VERSION_1;
  if (virtio_blk_has_flush())
    f |= 1UL << VIRTIO_BLK_F_FLUSH;
  return f;
}

// Status written by the driver. FEATURES_OK sticks only if the driver
// accepted nothing we did not offer (2.2.2: the device leaves the bit
// clear to refuse). A driver that leaves VERSION_1 out is let through,
// though 6.2 would allow refusing it: xv6's driver, for one, never writes
// the upper feature word, and on a little-endian machine nothing else
// would change for it.
static void write_status(struct vvirtio_blk *b, uint32_t val) {
  if (val == 0) {
    reset(b);
    return;
  }
  bool ok = (b->drv_features & ~offered()) == 0;
  if ((val & VIRTIO_STATUS_FEATURES_OK) &&
      !(b->status & VIRTIO_STATUS_FEATURES_OK) && !ok)
    val &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
  b->status = (val & 0xff) | (b->status & VIRTIO_STATUS_NEEDS_RESET);
}

// QueueReady = 1: the queue's size and the alignment of its three areas
// (2.7: 16, 2 and 4 bytes) must be right, or the device wants a reset.
static void queue_ready(struct vvirtio_blk *b, uint32_t val) {
  if (val == 0) {
    b->queue_ready = false;
    return;
  }
  if (b->queue_num == 0 || b->queue_num > VVIRTIO_QUEUE_MAX ||
      b->desc % 16 != 0 || b->avail % 2 != 0 || b->used % 4 != 0) {
    device_error(b);
    return;
  }
  b->queue_ready = true;
}

// Set one half of a 64-bit value the driver writes as two registers:
// the Low one at an offset that is a multiple of 8, the High one 4 after.
static void set_half(uint64_t *addr, uint64_t off, uint32_t val) {
  if (off % 8 == 0)
    *addr = (*addr & ~0xffffffffUL) | val;
  else
    *addr = (*addr & 0xffffffffUL) | (uint64_t)val << 32;
}

// The config space (5.2.4): capacity, then fields that belong to features
// we do not offer, read as 0. 1-, 2- and 4-byte aligned reads (4.2.2.2).
static int config_read(struct vvirtio_blk *b, uint64_t off, int width,
                       uint64_t *val) {
  if ((width != 1 && width != 2 && width != 4) || off % (uint64_t)width != 0 ||
      off >= CONFIG_SIZE)
    return -1;
  uint8_t cfg[CONFIG_SIZE];
  memset(cfg, 0, sizeof(cfg));
  memcpy(cfg + VIRTIO_BLK_CFG_CAPACITY, &b->nsectors, sizeof(b->nsectors));
  uint32_t v = 0;
  memcpy(&v, cfg + off, (size_t)width);
  *val = v;
  return 0;
}

int vvirtio_blk_read(struct vm *vm, uint64_t off, int width, uint64_t *val) {
  struct vvirtio_blk *b = &vm->blk;
  if (off >= VIRTIO_MMIO_CONFIG)
    return config_read(b, off - VIRTIO_MMIO_CONFIG, width, val);
  if (width != 4 || off % 4 != 0)
    return -1;
  switch (off) {
  case VIRTIO_MMIO_MAGIC_VALUE: *val = VIRTIO_MMIO_MAGIC; break;
  case VIRTIO_MMIO_VERSION: *val = 2; break;
  case VIRTIO_MMIO_DEVICE_ID: *val = VIRTIO_ID_BLOCK; break;
  case VIRTIO_MMIO_VENDOR_ID: *val = VENDOR; break;
  case VIRTIO_MMIO_DEVICE_FEATURES:
    *val = b->dev_features_sel < 2
               ? (uint32_t)(offered() >> (32 * b->dev_features_sel)) : 0;
    break;
  case VIRTIO_MMIO_QUEUE_NUM_MAX:
    *val = b->queue_sel == 0 ? VVIRTIO_QUEUE_MAX : 0;   // 0: no such queue
    break;
  case VIRTIO_MMIO_QUEUE_READY: *val = b->queue_sel == 0 && b->queue_ready; break;
  case VIRTIO_MMIO_INTERRUPT_STATUS: *val = b->interrupt_status; break;
  case VIRTIO_MMIO_STATUS: *val = b->status; break;
  case VIRTIO_MMIO_SHM_LEN_LOW:
  case VIRTIO_MMIO_SHM_LEN_HIGH:
  case VIRTIO_MMIO_SHM_BASE_LOW:
  case VIRTIO_MMIO_SHM_BASE_HIGH:
    *val = 0xffffffff;          // "no such shared memory region"
    break;
  case VIRTIO_MMIO_CONFIG_GENERATION: *val = 0; break;   // it never changes
  default: return -1;
  }
  return 0;
}

int vvirtio_blk_write(struct vm *vm, uint64_t off, int width, uint64_t val64) {
  struct vvirtio_blk *b = &vm->blk;
  if (width != 4 || off % 4 != 0)
    return -1;                  // the config space is read-only too
  uint32_t val = (uint32_t)val64;
  bool q0 = b->queue_sel == 0 && !b->queue_ready;   // queue 0, changeable
  switch (off) {
  case VIRTIO_MMIO_DEVICE_FEATURES_SEL: b->dev_features_sel = val; break;
  case VIRTIO_MMIO_DRIVER_FEATURES_SEL: b->drv_features_sel = val; break;
  case VIRTIO_MMIO_DRIVER_FEATURES:    // set 0: bits 0-31, set 1: 32-63
    if (b->drv_features_sel < 2 && !(b->status & VIRTIO_STATUS_FEATURES_OK))
      set_half(&b->drv_features, b->drv_features_sel == 0 ? 0 : 4, val);
    break;
  case VIRTIO_MMIO_QUEUE_SEL: b->queue_sel = val; break;
  case VIRTIO_MMIO_QUEUE_NUM:
    if (q0)
      b->queue_num = val;
    break;
  case VIRTIO_MMIO_QUEUE_READY:
    if (b->queue_sel == 0)
      queue_ready(b, val);
    break;
  case VIRTIO_MMIO_QUEUE_NOTIFY:
    if (val == 0)               // other queues: none, nothing to do
      serve_queue(vm, b);
    break;
  case VIRTIO_MMIO_INTERRUPT_ACK: b->interrupt_status &= ~val; break;
  case VIRTIO_MMIO_STATUS: write_status(b, val); break;
  case VIRTIO_MMIO_QUEUE_DESC_LOW:
  case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    if (q0)
      set_half(&b->desc, off, val);
    break;
  case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
  case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    if (q0)
      set_half(&b->avail, off, val);
    break;
  case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
  case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
    if (q0)
      set_half(&b->used, off, val);
    break;
  case VIRTIO_MMIO_SHM_SEL: break;
  default: return -1;
  }
  return 0;
}
