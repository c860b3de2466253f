// hyp/dev/vvirtio_blk.c: a VM's virtual disk (see hyp/dev/vvirtio_blk.h).
//
// Two halves, as in every virtio device (virtio 1.2; register and ring
// layouts are drawn in hyp/dev/virtio.h):
//
//   the transport, virtio-mmio version 2 (4.2.2): registers the guest's
//   driver reads and writes to find the device, agree on features
//   (VIRTIO_F_VERSION_1, VIRTIO_F_EVENT_IDX, and VIRTIO_BLK_F_FLUSH when
//   the real disk has a write cache), and place queue 0 in its memory;
//
//   the queue, a split virtqueue (2.7): when the driver writes
//   QueueNotify, the device takes every new entry of the available ring;
//   when a request (5.2.6: header, data, status byte) is done, it puts the
//   chain on the used ring and raises InterruptStatus bit 0, which is the
//   device's line to the VM's PLIC (source 1, as on QEMU virt), unless
//   the driver asked not to be told (2.7.7). Each notify and each
//   interrupt is a trap or more for the guest: while a piece of ours is on
//   the real disk, we ask for no notify (take_requests).
//
// Requests are asynchronous (hyp/dev/vvirtio_blk.h): the notify takes them
// off the available ring into reqs[], a first-in first-out queue; the
// disk scheduler (hyp/dev/diskq.c) asks for pieces of them
// (vvirtio_blk_next_piece) and hands back each piece the real disk has
// done (vvirtio_blk_piece_done); a request whose data is all done is
// answered, in the order the guest made the requests available (retire).
//
// The rings are read and written in their pages, pinned while the queue
// is ready (the rings, below); everything else in guest memory is read
// through vm_copy_from_guest and written through vm_copy_to_guest, which
// refuse any byte outside the VM's RAM; and every buffer a request names
// is checked against the VM's RAM when it is taken, before the device
// does anything, so that a request with one bad buffer changes nothing on
// the disk nor in memory but its status byte. The driver may change its
// rings while we read them (another vCPU); we copy each chain once, when
// we take the request, and use only the copy, so what we checked is what
// we use.
//
// Guest pages under a request of the real disk are pinned: each piece
// takes a reference on the machine pages it reads or writes (pmap_pin),
// dropped when it is done, so that a page the VM gives up meanwhile (a
// monitor call, a lab's unmapping, the VM stopping) is not reused under
// the device's DMA, and a page move leaves it where the DMA goes. A VM
// that stops drains first (diskq_drain): its pieces in flight finish
// before its memory is freed or its region reused.
//
// Copy-on-write disks and reads that become mappings (lab 3) are drawn in
// hyp/dev/vvirtio_blk.h: a request's sectors are the VM's own (r->sector,
// p->first); real_sector says where one is on the real disk.
//
// Locks: the VM's dev_lock covers all of struct vvirtio_blk; the disk
// scheduler's lock comes before it, the real disk's after it, and so do
// the VM's pmap locks and the blockcache's (hyp/mem/blockcache.h).
#include "hyp/dev/diskq.h"
#include "hyp/dev/mmio.h"
#include "hyp/dev/virtio.h"
#include "hyp/dev/virtio_blk.h"
#include "hyp/dev/vvirtio_blk.h"
#include "hyp/mem/blockcache.h"
#include "hyp/mem/memmap.h"
#include "hyp/mem/pmap.h"
#include "hyp/vm/vm.h"
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

// Do `count` sectors from `first` fit on a disk of `disk` sectors?
static bool fits(uint64_t first, uint64_t count, uint64_t disk) {
  return first <= disk && count <= disk - first;
}

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
  uint64_t base = cfg->disk_base_offset / VIRTIO_BLK_SECTOR;
  uint64_t count = cfg->disk / VIRTIO_BLK_SECTOR;
  if (!fits(first, count, disk) || (cfg->disk_cow && !fits(base, count, disk))) {
    snprintf(why, (size_t)n, "disk-mib = <%lu> from MiB %lu of the "
             "machine's disk, but it has only %lu MiB", mib,
             (cfg->disk_cow && base > first ? base : first) * VIRTIO_BLK_SECTOR / MiB,
             disk * VIRTIO_BLK_SECTOR / MiB);
    return -1;
  }
  if (cfg->disk_cow && count > COW_DISK_MAX_SECTORS) {
    snprintf(why, (size_t)n, "disk-mib = <%lu>, but a cow disk has at most %d MiB",
             mib, COW_DISK_MAX_MIB);
    return -1;
  }
  vm->blk.present = true;
  vm->blk.first_sector = first;
  vm->blk.nsectors = count;
  vm->blk.cow = cfg->disk_cow;
  vm->blk.base_sector = base;
  if (cfg->disk_cow)
    printf("vm %s: copy-on-write disk of %lu MiB: base sectors %lu..%lu, "
           "overlay %lu..%lu of the machine's disk\n", cfg->name, mib, base,
           base + count - 1, first, first + count - 1);
  else
    printf("vm %s: disk of %lu MiB: sectors %lu..%lu of the machine's disk\n",
           cfg->name, mib, first, first + count - 1);
  return 0;
}

bool vvirtio_blk_irq_level(struct vm *vm) {
  return vm->blk.interrupt_status != 0;
}

bool vvirtio_blk_present(struct vm *vm) { return vm->blk.present; }

void vvirtio_blk_ack(struct vm *vm) { vm->blk.interrupt_status = 0; }

void vvirtio_blk_after_write(struct vm *vm) { diskq_run(); }

// ---- Where the VM's sectors are (copy-on-write disks, lab 3) ----

// Has the VM written sector s since it booted (a cow disk)?
static bool written(const struct vvirtio_blk *b, uint64_t s) {
  return (b->modified[s / 64] >> (s % 64)) & 1;
}

// Where the VM's sector s is on the real disk, for a read or a write: in
// its own region, unless it is a cow disk's sector it never wrote, which
// is read from the base.
static uint64_t real_sector(const struct vvirtio_blk *b, uint64_t s, bool write) {
  // BEGIN LAB 3: the overlay for writes and written sectors, else the base
  uint64_t region = b->first_sector;       // its own region (a cow overlay)
  if (b->cow && !write && !written(b, s))
    region = b->base_sector;
  return region + s;
  // END LAB 3
  // STUB LAB 3: static bool told;
  // STUB LAB 3: if (b->cow && !told) printf("lab 3: real_sector not implemented\n");
  // STUB LAB 3: told = b->cow || told;
  // STUB LAB 3: return b->first_sector + s;
}

// How many of the n sectors from s are read or written in the same
// region as s: all of them, but for a cow disk's read, up to where the
// sectors switch between written (the overlay) and not (the base).
static uint64_t same_region(const struct vvirtio_blk *b, uint64_t s, uint64_t n,
                            bool write) {
  if (!b->cow || write)
    return n;
  uint64_t k = 1;
  while (k < n && written(b, s + k) == written(b, s))
    k++;
  return k;
}

// A write of sectors [s, s + n) is starting: on a cow disk their reads go
// to the overlay from now on (reads made available later wait for the
// write: overlaps).
static void mark_written(struct vvirtio_blk *b, uint64_t s, uint64_t n) {
  // BEGIN LAB 3: set the sectors' bits in the modified map
  if (!b->cow)
    return;
  for (uint64_t k = s; k < s + n; k++)
    b->modified[k / 64] |= 1UL << (k % 64);
  // END LAB 3
  // STUB LAB 3: return;
}

// ---- The rings, pinned ----
// Every request reads and writes the driver's three areas a dozen times
// (indexes, ring entries, descriptors, event indexes), a few bytes each.
// Through vm_copy_from_guest and vm_copy_to_guest each access would take
// the VM's pmap locks and look its page up: about 150 instructions for 2
// bytes, a tenth of what a request cost the monitor. So when the driver
// makes the queue ready, the guest pages that hold the areas are pinned
// (pmap_pin: backed, private, a reference taken on the machine page), and
// the device reads and writes those machine pages directly, under
// dev_lock alone, as a real device's DMA would. A pinned page stays this
// VM's: no one else gets it while we hold it, and lab 4 neither moves nor
// replicates it (pmap_move_page, pmap_replicate refuse pinned pages). The
// pins go when the queue does (QueueReady = 0, a reset, the VM stopping).
// A driver that gives a ring page back to the monitor (page_free), or
// reads a disk block over it (which maps the block there, lab 3), leaves
// the device with the page it pinned: its own rings break, nothing else.

// The index in b->rings of guest page `page`, or -1 if it is not pinned.
static int ring_at(const struct vvirtio_blk *b, uint64_t page) {
  for (int i = 0; i < b->nrings; i++)
    if (b->rings[i].gpa == page)
      return i;
  return -1;
}

// The machine address of the rings' byte at guest-physical gpa, or NULL
// if its page is not pinned (not in the queue's areas).
static void *ring_addr(const struct vvirtio_blk *b, uint64_t gpa) {
  int i = ring_at(b, ALIGN_DOWN(gpa, PAGE_SIZE));
  return i < 0 ? NULL : (void *)(b->rings[i].pa + gpa % PAGE_SIZE);
}

// Copy len bytes between buf and the rings at guest-physical gpa (into
// the rings if to_ring), a page at a time: the areas' pages need not be
// next to each other in machine memory. Returns 0, or -1 if a byte is not
// in the queue's areas.
static int ring_copy(const struct vvirtio_blk *b, uint64_t gpa, void *buf,
                     uint64_t len, bool to_ring) {
  uint8_t *p = buf;
  while (len > 0) {
    uint64_t n = PAGE_SIZE - gpa % PAGE_SIZE;
    if (n > len)
      n = len;
    void *at = ring_addr(b, gpa);
    if (at == NULL)
      return -1;
    if (to_ring)
      memcpy(at, p, n);
    else
      memcpy(p, at, n);
    gpa += n, p += n, len -= n;
  }
  return 0;
}

// The 16-bit fields (indexes, flags, ring entries, event indexes) are
// 2-byte aligned, so each lies in one page: one load or store each. The
// driver writes its fields while we read them (another vCPU): one
// single-copy atomic access each (RVWMO), whose value we use once.
static int read16(const struct vvirtio_blk *b, uint64_t gpa, uint16_t *v) {
  uint16_t *at = ring_addr(b, gpa);
  if (at == NULL || gpa % 2 != 0)
    return -1;
  *v = __atomic_load_n(at, __ATOMIC_RELAXED);
  return 0;
}

static int write16(const struct vvirtio_blk *b, uint64_t gpa, uint16_t v) {
  uint16_t *at = ring_addr(b, gpa);
  if (at == NULL || gpa % 2 != 0)
    return -1;
  __atomic_store_n(at, v, __ATOMIC_RELAXED);
  return 0;
}

// Drop every pin on the rings' pages.
static void unpin_rings(struct vvirtio_blk *b) {
  for (int i = 0; i < b->nrings; i++)
    memmap_free(b->rings[i].pa);        // our reference only
  b->nrings = 0;
}

// Pin the pages of [gpa, gpa + len) that are not pinned yet. Returns 0,
// or -1 if a byte is outside the VM's RAM (one range: if the first and
// last bytes are in it, all are) or machine memory ran out.
static int pin_area(struct vm *vm, struct vvirtio_blk *b, uint64_t gpa,
                    uint64_t len) {
  struct pmap *pm = &vm->pmap;
  if (!pmap_is_ram(pm, gpa) || gpa + len - 1 < gpa || !pmap_is_ram(pm, gpa + len - 1))
    return -1;
  for (uint64_t page = ALIGN_DOWN(gpa, PAGE_SIZE); page < gpa + len; page += PAGE_SIZE) {
    if (ring_at(b, page) >= 0)
      continue;
    uint64_t pa = b->nrings < VVIRTIO_RING_PAGES ? pmap_pin(pm, page, true) : 0;
    if (pa == 0)
      return -1;
    b->rings[b->nrings++] = (struct ring_page){page, pa};
  }
  return 0;
}

// Pin the queue's three areas at their size for queue_num (2.7). Returns
// 0, or -1 with nothing pinned.
static int pin_rings(struct vm *vm, struct vvirtio_blk *b) {
  uint32_t n = b->queue_num;
  if (pin_area(vm, b, b->desc, sizeof(struct virtq_desc) * n) < 0 ||
      pin_area(vm, b, b->avail, VIRTQ_USED_EVENT(n) + sizeof(uint16_t)) < 0 ||
      pin_area(vm, b, b->used, VIRTQ_AVAIL_EVENT(n) + sizeof(uint16_t)) < 0) {
    unpin_rings(b);
    return -1;
  }
  return 0;
}

// ---- Descriptor chains ----

// Reading a request's chain and moving bytes through it are in
// hyp/dev/virtq_chain.c (struct chain: the buffers, the out and in
// streams), small and pure enough to be fuzzed on the host.

// One stretch of a data stream that lies in one guest page and one buffer.
struct stretch {
  uint64_t gpa;
  uint64_t len;
};

// The stretch of the chain's in (or out) stream that starts `off` bytes
// into it, cut where its buffer or its guest page ends. 0, or -1 past the
// stream's end.
static int stretch_at(const struct chain *c, bool in, uint64_t off,
                      struct stretch *st) {
  for (int i = 0; i < c->n; i++) {
    const struct seg *s = &c->seg[i];
    if (s->write != in)
      continue;
    if (off >= s->len) {
      off -= s->len;
      continue;
    }
    st->gpa = s->addr + off;
    st->len = s->len - off;
    uint64_t to_page_end = PAGE_SIZE - st->gpa % PAGE_SIZE;
    if (st->len > to_page_end)
      st->len = to_page_end;
    return 0;
  }
  return -1;
}

// ---- Straight to and from the guest's pages ----
// Disco's monitor let the real disk's DMA go straight into the VM's
// machine pages (Disco 4.2.4), with no copy. We do the same when we can:
// if every stretch of the request's data is whole sectors (a guest that
// moves page-aligned blocks, as guest-os does), each piece is a few
// stretches, each one a buffer of the real disk's request at the
// stretch's machine address (pmap_pin: a page never touched is filled
// first, as a guest access would). Otherwise the data goes through the
// piece's bounce buffer, VVIRTIO_BOUNCE bytes at a time.

// Is every stretch of the request's data whole sectors?
static bool can_go_direct(const struct vreq *r) {
  bool in = r->type == VIRTIO_BLK_T_IN;
  struct stretch st;
  for (uint64_t done = 0; done < r->len; done += st.len) {
    if (stretch_at(&r->chain, in, r->data_off + done, &st) < 0)
      return false;
    if (st.len > r->len - done)
      st.len = r->len - done;
    if (st.len % VIRTIO_BLK_SECTOR != 0)
      return false;
  }
  return true;
}

// ---- Taking requests (5.2.6 "Device Operation") ----

// Is [sector, sector + len bytes) whole sectors inside the VM's region?
static bool in_region(struct vvirtio_blk *b, uint64_t sector, uint64_t len) {
  uint64_t n = len / VIRTIO_BLK_SECTOR;
  return len % VIRTIO_BLK_SECTOR == 0 && sector <= b->nsectors &&
         n <= b->nsectors - sector;
}

// VIRTIO_BLK_T_GET_ID: the device's id string, "disco-v:<vm name>",
// NUL-padded to 20 bytes (no NUL if it is 20 long), or as much of it as
// the buffer holds. Returns the status.
static uint8_t get_id(struct vm *vm, struct vreq *r) {
  char id[VIRTIO_BLK_ID_BYTES + 1];
  memset(id, 0, sizeof(id));
  snprintf(id, sizeof(id), "%s%s", ID_PREFIX, vm->name);
  uint64_t n = r->chain.in_len - 1;
  if (n > VIRTIO_BLK_ID_BYTES)
    n = VIRTIO_BLK_ID_BYTES;
  if (chain_copy(vm, &r->chain, true, 0, id, n) < 0)
    return VIRTIO_BLK_S_IOERR;
  r->written = (uint32_t)n + 1;
  return VIRTIO_BLK_S_OK;
}

// A read or a write of r->len bytes at the VM's sector `sector`: check
// it and say where its data is. Returns the status so far.
static uint8_t take_rw(struct vvirtio_blk *b, struct vreq *r, uint64_t sector) {
  bool in = r->type == VIRTIO_BLK_T_IN;
  r->data_off = in ? 0 : sizeof(struct virtio_blk_req);
  r->len = in ? r->chain.in_len - 1 : r->chain.out_len - r->data_off;
  if (!in_region(b, sector, r->len)) {
    r->len = 0;
    return VIRTIO_BLK_S_IOERR;
  }
  r->sector = sector;
  r->direct = can_go_direct(r);
  if (r->direct)
    b->direct++;
  if (in)
    r->written = (uint32_t)r->len + 1;
  return VIRTIO_BLK_S_OK;
}

// Fill in request r from its chain (r->head set): what it asks, whether
// it can be done, what is left for the real disk. A request the device
// answers without the real disk (refused, GET_ID) has nothing left.
static void take_one(struct vm *vm, struct vvirtio_blk *b, struct vreq *r) {
  r->status = VIRTIO_BLK_S_OK;
  r->answerable = true;
  r->direct = r->flush_left = false;
  r->type = 0;
  r->len = r->issued = 0;
  r->pieces = 0;
  r->written = 1;
  r->taken = rdtime();
  struct virtio_blk_req h;
  struct virtq_desc table[VVIRTIO_QUEUE_MAX];  // our copy of the driver's
  if (ring_copy(b, b->desc, table, sizeof(table[0]) * b->queue_num, false) < 0 ||
      chain_read(table, b->queue_num, r->head, &r->chain) < 0 || r->chain.in_len == 0) {
    r->answerable = false;            // no status byte to write
    r->status = VIRTIO_BLK_S_IOERR;
    return;
  }
  if (!chain_in_ram(vm, &r->chain) || r->chain.out_len < sizeof(h) ||
      chain_copy(vm, &r->chain, false, 0, &h, sizeof(h)) < 0) {
    r->status = VIRTIO_BLK_S_IOERR;
    return;
  }
  r->type = h.type;
  switch (r->type) {
  case VIRTIO_BLK_T_IN:
  case VIRTIO_BLK_T_OUT:
    r->status = take_rw(b, r, h.sector);
    break;
  case VIRTIO_BLK_T_FLUSH:
    // Offered only when the real disk has a write cache; refused if the
    // driver did not agree on it (5.2.6: UNSUPP, "unsupported by device").
    if (b->drv_features & (1UL << VIRTIO_BLK_F_FLUSH))
      r->flush_left = true;
    else
      r->status = VIRTIO_BLK_S_UNSUPP;
    break;
  case VIRTIO_BLK_T_GET_ID:
    r->status = get_id(vm, r);
    break;
  default:
    r->status = VIRTIO_BLK_S_UNSUPP;
    break;
  }
}

// Does request r still have work for the real disk (pieces to start)?
static bool work_left(const struct vreq *r) {
  return r->status == VIRTIO_BLK_S_OK && (r->issued < r->len || r->flush_left);
}

// Is request r finished: nothing left to start, nothing in flight?
static bool finished(const struct vreq *r) {
  return !work_left(r) && r->pieces == 0;
}

// ---- Reads that become mappings (lab 3, Disco 4.2.5) ----

// Is the read's data at byte `off` one whole block of the real disk going
// into one whole, page-aligned guest page, so that the block's shared
// page can be mapped there instead? Then *gpa is the page and *block the
// block (hyp/mem/blockcache.h: the real disk's sectors 8 * block ..).
static bool mappable(const struct vvirtio_blk *b, const struct vreq *r,
                     uint64_t off, uint64_t *gpa, uint64_t *block) {
  // BEGIN LAB 3: a whole block into a whole guest page?
  if (r->type != VIRTIO_BLK_T_IN || !r->direct || r->len - off < PAGE_SIZE)
    return false;
  struct stretch st;
  if (stretch_at(&r->chain, true, r->data_off + off, &st) < 0 ||
      st.gpa % PAGE_SIZE != 0 || st.len != PAGE_SIZE)
    return false;
  // Its 8 sectors must be one block: aligned, and all in one region.
  uint64_t s = r->sector + off / VIRTIO_BLK_SECTOR;
  uint64_t real = real_sector(b, s, false);
  if (real % BLOCK_SECTORS != 0 || same_region(b, s, BLOCK_SECTORS, false) < BLOCK_SECTORS)
    return false;
  *gpa = st.gpa;
  *block = real / BLOCK_SECTORS;
  return true;
  // END LAB 3
  // STUB LAB 3: static bool told;
  // STUB LAB 3: if (!told) printf("lab 3: mappable not implemented: reads are copied\n");
  // STUB LAB 3: told = true;
  // STUB LAB 3: return false;
}

// Put shared page pa (a reference held for us) at guest page gpa: mapped
// (pmap_share), or copied if it mapped nothing. Returns 0, or -1 if the
// copy failed.
static int map_block(struct vm *vm, uint64_t gpa, uint64_t pa) {
  if (pmap_share(&vm->pmap, gpa, pa) == 0) {
    vm->blk.mapped++;
    return 0;
  }
  int r = vm_copy_to_guest(vm, gpa, (const void *)pa, PAGE_SIZE);
  memmap_free(pa);
  return r;
}

// Map every block at the head of request r's data that the blockcache
// holds: no disk read for those. Returns whether it mapped any.
static bool map_hits(struct vm *vm, struct vvirtio_blk *b, struct vreq *r) {
  bool any = false;
  uint64_t gpa, block, pa;
  while (r->issued < r->len && mappable(b, r, r->issued, &gpa, &block) &&
         (pa = blockcache_get(block)) != 0) {
    b->blocks++;
    b->cache_hits++;
    if (map_block(vm, gpa, pa) < 0)
      r->status = VIRTIO_BLK_S_IOERR;
    r->issued += PAGE_SIZE;
    any = true;
  }
  return any;
}

// Cut piece p of request r as a fill: the blocks from byte r->issued that
// can be mapped and are not in the blockcache, consecutive on the real
// disk, each read into a blockcache page of its own, to be mapped when
// done. Returns the bytes it covers, or 0 if the first is no such block
// (or no page was free): then the piece is cut the ordinary way.
static uint64_t cut_fill(struct vm *vm, struct vvirtio_blk *b,
                         const struct vreq *r, struct vpiece *p) {
  uint64_t n = 0, gpa, block, first = 0;
  p->npinned = 0;
  while (p->npinned < VIRTIO_BLK_MAX_SEGS &&
         mappable(b, r, r->issued + n, &gpa, &block) &&
         (p->npinned == 0 || block == first + (uint64_t)p->npinned)) {
    uint64_t had = blockcache_get(block);
    if (had != 0) {                 // cached meanwhile: map_hits' next time
      memmap_free(had);
      break;
    }
    uint64_t pa = blockcache_alloc(pmap_page_node(&vm->pmap, gpa));
    if (pa == 0)
      break;
    if (p->npinned == 0)
      first = block;
    p->io.seg[p->npinned].pa = pa;
    p->io.seg[p->npinned].len = PAGE_SIZE;
    p->pinned[p->npinned] = pa;
    p->gpa[p->npinned] = gpa;
    p->npinned++;
    n += PAGE_SIZE;
  }
  p->io.nseg = p->npinned;
  p->fill = p->bounce = false;
  if (n > 0) {
    p->fill = true;
    b->blocks += (uint64_t)p->npinned;
  }
  return n;
}

// A fill is back: index its pages in the blockcache, and map them into
// the guest if `map` (its request still wants them). Returns 0, or -1 if
// a block could not be placed in the guest.
static int fill_done(struct vm *vm, struct vpiece *p, bool map) {
  int err = p->io.result < 0 ? -1 : 0;
  for (int i = 0; i < p->npinned; i++) {
    if (p->io.result < 0) {
      memmap_free(p->pinned[i]);
      continue;
    }
    uint64_t pa = blockcache_insert(p->io.sector / BLOCK_SECTORS + (uint64_t)i,
                                    p->pinned[i]);
    vm->blk.cache_fills++;
    if (!map)
      memmap_free(pa);
    else if (map_block(vm, p->gpa[i], pa) < 0)
      err = -1;
  }
  p->npinned = 0;
  return err;
}

// ---- Pieces (for hyp/dev/diskq.c) ----

// Does [first, first + n) overlap a piece of this VM in flight? A flush
// in flight covers everything, and must wait for everything.
static bool overlaps(struct vvirtio_blk *b, uint64_t first, uint64_t n) {
  for (int i = 0; i < VVIRTIO_PIECES; i++) {
    struct vpiece *p = &b->pieces[i];
    if (p->busy && first < p->first + p->nsect && p->first < first + n)
      return true;
  }
  return false;
}

// Cut piece p of request r: its data from byte r->issued, a few guest
// pages (direct) or a bounce buffer's worth, at most `limit` bytes.
// Returns the bytes it covers.
static uint64_t cut_piece(const struct vreq *r, struct vpiece *p, uint64_t limit) {
  uint64_t left = r->len - r->issued;
  if (left > limit)
    left = limit;
  p->bounce = !r->direct;
  p->fill = false;
  if (p->bounce)
    return left < VVIRTIO_BOUNCE ? left : VVIRTIO_BOUNCE;
  bool in = r->type == VIRTIO_BLK_T_IN;
  uint64_t n = 0;
  struct stretch st;
  p->io.nseg = 0;
  while (n < left && p->io.nseg < VIRTIO_BLK_MAX_SEGS &&
         stretch_at(&r->chain, in, r->data_off + r->issued + n, &st) == 0) {
    if (st.len > left - n)
      st.len = left - n;
    p->io.seg[p->io.nseg].pa = st.gpa;      // guest-physical for now
    p->io.seg[p->io.nseg].len = (uint32_t)st.len;
    p->io.nseg++;
    n += st.len;
  }
  return n;
}

// Pin and translate p's guest pages (direct), or fill its bounce buffer
// (a write). Returns 0, or -1 if memory ran out or a copy failed (then
// nothing stays pinned).
static int load_piece(struct vm *vm, const struct vreq *r, struct vpiece *p) {
  p->npinned = 0;
  if (p->bounce) {
    p->io.nseg = 1;
    p->io.seg[0].pa = (uint64_t)p->buf;
    p->io.seg[0].len = (uint32_t)p->len;
    if (r->type == VIRTIO_BLK_T_OUT &&
        chain_copy(vm, &r->chain, false, r->data_off + p->off, p->buf, p->len) < 0)
      return -1;
    return 0;
  }
  for (int i = 0; i < p->io.nseg; i++) {
    // A read's data is written into the guest page: it must be private.
    uint64_t pa = pmap_pin(&vm->pmap, p->io.seg[i].pa, r->type == VIRTIO_BLK_T_IN);
    if (pa == 0) {
      for (int k = 0; k < p->npinned; k++)
        memmap_free(p->pinned[k]);
      p->npinned = 0;
      return -1;
    }
    p->pinned[p->npinned++] = pa & ~(PAGE_SIZE - 1);
    p->io.seg[i].pa = pa;
  }
  return 0;
}

static void retire(struct vm *vm, struct vvirtio_blk *b);

struct vpiece *vvirtio_blk_next_piece(struct vm *vm) {
  struct vvirtio_blk *b = &vm->blk;
  if (b->stopping)
    return NULL;
  // The oldest request with work left; every one before it is started.
  // The blocks at its head that the blockcache holds are mapped now, with
  // no piece; one that needs nothing more may be answerable.
  struct vreq *r = NULL;
  int ri = 0;
  bool mapped = false;
  for (int i = 0; i < b->nreqs && r == NULL; i++) {
    ri = (b->req_head + i) % VVIRTIO_QUEUE_MAX;
    struct vreq *q = &b->reqs[ri];
    if (work_left(q) && map_hits(vm, b, q))
      mapped = true;
    if (work_left(q))
      r = q;
  }
  if (mapped) {
    retire(vm, b);
    mmio_irq_changed(vm);
  }
  struct vpiece *p = NULL;
  for (int i = 0; i < VVIRTIO_PIECES && p == NULL; i++)
    if (!b->pieces[i].busy)
      p = &b->pieces[i];
  if (r == NULL || p == NULL)
    return NULL;
  p->io.type = r->flush_left ? VIRTIO_BLK_T_FLUSH : r->type;
  p->off = r->issued;
  p->fill = false;
  if (r->flush_left) {
    // A flush covers the writes done before it: it waits for them all.
    if (b->inflight > 0)
      return NULL;
    p->first = 0, p->nsect = ~0UL;
    p->len = 0;
    p->io.nseg = 0;
    p->bounce = false;
    p->npinned = 0;
  } else {
    bool write = r->type == VIRTIO_BLK_T_OUT;
    p->first = r->sector + r->issued / VIRTIO_BLK_SECTOR;
    uint64_t run = same_region(b, p->first, (r->len - r->issued) / VIRTIO_BLK_SECTOR,
                               write);
    p->len = cut_fill(vm, b, r, p);
    if (p->len == 0)
      p->len = cut_piece(r, p, run * VIRTIO_BLK_SECTOR);
    p->nsect = p->len / VIRTIO_BLK_SECTOR;
    if (overlaps(b, p->first, p->nsect)) {
      for (int i = 0; p->fill && i < p->npinned; i++)
        memmap_free(p->pinned[i]);
      return NULL;                  // after the earlier one on these sectors
    }
    if (!p->fill && load_piece(vm, r, p) < 0) {
      // Out of memory: nothing more of it starts. It is answered now if
      // none of it is in flight; the next request may have a piece.
      // (At most VVIRTIO_QUEUE_MAX calls deep: each fails one request.)
      r->status = VIRTIO_BLK_S_IOERR;
      retire(vm, b);
      mmio_irq_changed(vm);
      return vvirtio_blk_next_piece(vm);
    }
  }
  p->io.sector = real_sector(b, p->first, p->io.type == VIRTIO_BLK_T_OUT);
  if (p->io.type == VIRTIO_BLK_T_OUT) {
    // No copy of these blocks' old contents may be found after this.
    blockcache_forget(p->io.sector, p->nsect);
    mark_written(b, p->first, p->nsect);
  }
  p->vm = vm;
  p->req = ri;
  p->gen = b->gen;
  p->busy = true;
  r->issued += p->len;
  r->flush_left = false;
  r->pieces++;
  b->inflight++;
  b->npieces++;
  if (b->inflight > b->inflight_max)
    b->inflight_max = b->inflight;
  return p;
}

// ---- Answering (2.7.8, 2.7.14 from the device's side) ----

// Something is wrong that only a reset can cure (the driver broke its
// rings): say so as 2.1.2 asks, with DEVICE_NEEDS_RESET and a
// configuration-change interrupt. The queue is not used again until the
// driver resets the device.
static void device_error(struct vvirtio_blk *b) {
  b->status |= VIRTIO_STATUS_NEEDS_RESET;
  b->interrupt_status |= VIRTIO_INT_CONFIG;
  b->errors++;
}

// Put chain `head` on the used ring with `len`: the element first, then
// the index, so a driver that sees the index sees the element (2.7.8).
static int put_used(struct vvirtio_blk *b, uint16_t head,
                    uint32_t len) {
  struct virtq_used_elem e = {head, len};
  uint64_t slot = b->used + VIRTQ_USED_RING(b->used_idx % b->queue_num);
  if (ring_copy(b, slot, &e, sizeof(e), true) < 0)
    return -1;
  b->used_idx++;
  virtio_fence();
  return write16(b, b->used + VIRTQ_USED_IDX, b->used_idx);
}

// Answer request r: its status byte, then the used ring. A request with
// no status byte we can write goes back with len 0, untouched. Returns
// 0, or -1 if the used ring is not where it was pinned.
static int answer(struct vm *vm, struct vvirtio_blk *b, struct vreq *r) {
  b->wait_ticks += rdtime() - r->taken;
  uint32_t len = 0;
  if (r->status != VIRTIO_BLK_S_OK) {
    b->errors++;
    r->written = 1;
  } else if (r->type == VIRTIO_BLK_T_IN) {
    b->reads++;
  } else if (r->type == VIRTIO_BLK_T_OUT) {
    b->writes++;
  } else if (r->type == VIRTIO_BLK_T_FLUSH) {
    b->flushes++;
  }
  if (r->answerable &&
      chain_copy(vm, &r->chain, true, r->chain.in_len - 1, &r->status, 1) == 0)
    len = r->written;
  return put_used(b, r->head, len);
}

// Did the driver agree on VIRTIO_F_EVENT_IDX?
static bool event_idx(const struct vvirtio_blk *b) {
  return (b->drv_features >> VIRTIO_F_EVENT_IDX) & 1;
}

// We moved the used idx from old to b->used_idx: does the driver want an
// interrupt for that (2.7.7.2)? With VIRTIO_F_EVENT_IDX, if its
// used_event is among the entries we added; else unless it set
// VIRTQ_AVAIL_F_NO_INTERRUPT. The fence orders our used idx before our
// look at its wish: a driver that writes used_event and then looks at the
// used idx sees our entries, or we see its used_event (2.7.7.2's race).
static bool wants_interrupt(struct vvirtio_blk *b, uint16_t old) {
  uint16_t v;
  virtio_fence();
  if (event_idx(b))
    return read16(b, b->avail + VIRTQ_USED_EVENT(b->queue_num), &v) == 0 &&
           vring_need_event(v, b->used_idx, old);
  return read16(b, b->avail + VIRTQ_AVAIL_FLAGS, &v) == 0 &&
         !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

// Answer the finished requests at the head of the queue, in order, and
// interrupt the driver if it wants to be (wants_interrupt).
static void retire(struct vm *vm, struct vvirtio_blk *b) {
  uint16_t old = b->used_idx;
  while (b->nreqs > 0 && finished(&b->reqs[b->req_head])) {
    if (answer(vm, b, &b->reqs[b->req_head]) < 0) {
      device_error(b);
      return;
    }
    b->req_head = (b->req_head + 1) % VVIRTIO_QUEUE_MAX;
    b->nreqs--;
  }
  if (b->used_idx != old && wants_interrupt(b, old)) {
    if (!(b->interrupt_status & VIRTIO_INT_USED))
      b->irqs++;
    b->interrupt_status |= VIRTIO_INT_USED;
  }
}

// Is the queue usable: the driver is up, the queue ready, no reset due?
static bool queue_live(struct vvirtio_blk *b) {
  return (b->status & VIRTIO_STATUS_DRIVER_OK) && b->queue_ready &&
         !(b->status & VIRTIO_STATUS_NEEDS_RESET) && !b->stopping;
}

// Take every new entry of the available ring (2.7.13 from the device's
// side), as many as reqs[] has room for (the rest wait until some are
// answered), and answer those that need no real disk. Bounded work: at
// most VVIRTIO_QUEUE_MAX chains are read. Returns 0, or -1 if the rings
// are broken (device_error).
static int take_new(struct vm *vm, struct vvirtio_blk *b) {
  uint16_t avail_idx, head;
  if (read16(b, b->avail + VIRTQ_AVAIL_IDX, &avail_idx) < 0 ||
      (uint16_t)(avail_idx - b->last_avail) > b->queue_num) {
    device_error(b);          // unreadable, or more entries than the queue has
    return -1;
  }
  // The entries and descriptors the driver wrote before it moved idx are
  // read after idx (the driver orders its writes the other way, 2.7.13).
  virtio_fence();
  while (b->last_avail != avail_idx && b->nreqs < VVIRTIO_QUEUE_MAX) {
    uint64_t slot = b->avail + VIRTQ_AVAIL_RING(b->last_avail % b->queue_num);
    if (read16(b, slot, &head) < 0) {
      device_error(b);
      return -1;
    }
    struct vreq *r = &b->reqs[(b->req_head + b->nreqs) % VVIRTIO_QUEUE_MAX];
    r->head = head;
    take_one(vm, b, r);
    b->nreqs++;
    b->last_avail++;
  }
  if (b->nreqs > b->queued_max)
    b->queued_max = b->nreqs;
  retire(vm, b);
  return 0;
}

// Tell the driver whether we want its notifies (2.7.10): with
// VIRTIO_F_EVENT_IDX, avail_event = the next entry we will take (a notify
// when it is made available), or left where it was (behind last_avail:
// no notify until the index wraps); else VIRTQ_USED_F_NO_NOTIFY clear or
// set. Either is written only when it changes (the used ring is ours to
// write: the driver does not change it, 2.7.8). Returns 1 if it wrote, 0
// if nothing changed, -1 if the used ring is not where it was pinned.
static int ask_notify(struct vvirtio_blk *b, bool want) {
  uint64_t at;
  uint16_t val;
  if (event_idx(b)) {
    if (!want || (b->avail_event_set && b->avail_event == b->last_avail))
      return 0;
    b->avail_event_set = true;
    b->avail_event = val = b->last_avail;
    at = VIRTQ_AVAIL_EVENT(b->queue_num);
  } else {
    if (b->no_notify == !want)
      return 0;
    b->no_notify = !want;
    val = want ? 0 : VIRTQ_USED_F_NO_NOTIFY;
    at = VIRTQ_USED_FLAGS;
  }
  return write16(b, b->used + at, val) < 0 ? -1 : 1;
}

// Take the new requests (take_new), and ask for the driver's notifies
// only when we need them. While a piece of ours is on the real disk,
// vvirtio_blk_piece_done comes and calls us again, so we need none: the
// driver's requests made available meanwhile are taken then, and save
// it a trap each (2.7.10: "the device is already processing"). Once none
// is, we ask for them again and, if that changed what the driver sees,
// look at the available ring once more, for an entry the driver made
// available before it saw our asking (the race 2.7.10 warns of: both
// sides fence between their write and their look, so one of them sees the
// other's; if our asking was there already, the driver saw it). Bounded
// work: TAKE_ROUNDS
// rounds; a driver that makes a request available in each round's window
// (another vCPU, racing us every time) is flooding the device, and its
// last requests wait for its next notify.
#define TAKE_ROUNDS 4
static void take_requests(struct vm *vm, struct vvirtio_blk *b) {
  for (int round = 0; round < TAKE_ROUNDS && queue_live(b); round++) {
    if (take_new(vm, b) < 0)
      return;
    bool busy = b->inflight > 0;
    int asked = ask_notify(b, !busy);
    if (asked < 0) {
      device_error(b);
      return;
    }
    uint16_t avail_idx;
    if (busy || asked == 0)
      return;
    virtio_fence();
    if (read16(b, b->avail + VIRTQ_AVAIL_IDX, &avail_idx) < 0 ||
        avail_idx == b->last_avail)
      return;
  }
}

void vvirtio_blk_piece_done(struct vm *vm, struct vpiece *p) {
  struct vvirtio_blk *b = &vm->blk;
  bool gone = p->gen != b->gen || b->stopping;   // its request (reset, stop)
  int filled = p->fill ? fill_done(vm, p, !gone) : 0;
  for (int i = 0; i < p->npinned; i++)
    memmap_free(p->pinned[i]);          // the request's reference only
  p->npinned = 0;
  p->busy = false;
  b->inflight--;
  if (b->stopping)
    return;
  if (!gone) {
    struct vreq *r = &b->reqs[p->req];
    r->pieces--;
    if (p->io.result < 0 || filled < 0)
      r->status = VIRTIO_BLK_S_IOERR;
    else if (p->bounce && r->type == VIRTIO_BLK_T_IN &&
             chain_copy(vm, &r->chain, true, r->data_off + p->off, p->buf, p->len) < 0)
      r->status = VIRTIO_BLK_S_IOERR;
    retire(vm, b);
  }
  // Those that found reqs[] full, and those made available while we asked
  // for no notify (take_requests: even a piece of the generation before a
  // reset counted as ours in flight).
  take_requests(vm, b);
  mmio_irq_changed(vm);               // the used interrupt may be up
}

void vvirtio_blk_stop(struct vm *vm) {
  struct vvirtio_blk *b = &vm->blk;
  b->stopping = true;
  unpin_rings(b);
  b->nreqs = 0;
  b->drained += (uint64_t)b->inflight;
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
  b->no_notify = false;
  b->avail_event_set = false;
  unpin_rings(b);
  // Requests taken are forgotten; pieces of them still in flight finish,
  // but touch nothing of the new generation (vvirtio_blk_piece_done).
  b->nreqs = 0;
  b->req_head = 0;
  b->gen++;
}

// The features we offer: VIRTIO_F_VERSION_1; VIRTIO_F_EVENT_IDX, with
// which the driver says after which request it wants an interrupt and we
// say at which one we want a notify (each a trap saved when not needed);
// and VIRTIO_BLK_F_FLUSH when the real disk has a write cache (then the
// guest's writes may sit in it, and the guest must be able to ask for
// them to be made durable).
static uint64_t offered(void) {
  uint64_t f = 1UL << VIRTIO_F_VERSION_1 | 1UL << VIRTIO_F_EVENT_IDX;
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
// (2.7: 16, 2 and 4 bytes) must be right, and the areas in the VM's RAM
// (they are pinned now), or the device wants a reset.
static void queue_ready(struct vm *vm, struct vvirtio_blk *b, uint32_t val) {
  if (val == 0) {
    b->queue_ready = false;
    unpin_rings(b);
    return;
  }
  if (b->queue_num == 0 || b->queue_num > VVIRTIO_QUEUE_MAX ||
      b->desc % 16 != 0 || b->avail % 2 != 0 || b->used % 4 != 0 ||
      pin_rings(vm, b) < 0) {
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
      queue_ready(vm, b, val);
    break;
  case VIRTIO_MMIO_QUEUE_NOTIFY:
    b->notifies++;
    if (val == 0)               // other queues: none, nothing to do
      take_requests(vm, b);
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
