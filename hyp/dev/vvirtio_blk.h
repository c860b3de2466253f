// hyp/dev/vvirtio_blk.h: a VM's virtual disk, a virtio-blk device on
// virtio-mmio (version 2, virtio 1.x) where QEMU's virt has its first
// virtio slot, so a guest's ordinary virtio driver finds and drives it.
//
// Disco gives each VM virtual disks that are parts of the machine's real
// disks, and the monitor does the I/O (Disco 4.2.4 "Virtual I/O Devices").
// Here each VM that asks for one (`disk-mib` in its configuration) gets
// its own region of the machine's disk (hyp/dev/virtio_blk.c): the VMs get
// consecutive regions in the order the configuration lists them, the
// first from sector 0 (hyp/vm/vmconfig.h).
//
// Copy-on-write disks (lab 3, `disk-mode = "cow"`): several VMs read one
// base region that holds their common disk image, and each writes to an
// overlay region of its own, of the same size. Which of a VM's sectors
// it has written since it booted is one bit per sector (modified[]); a
// read of a written sector goes to the overlay, of any other to the base.
// Disco kept the modified sectors of each non-persistent disk in a B-tree
// (4.2.5); our disks are small enough for a bitmap (COW_DISK_MAX_MIB). As
// in Disco such a disk is non-persistent: the bitmap starts empty at every
// boot, so a VM that stops or reboots forgets what it wrote.
//
// Reads become mappings (lab 3, Disco 4.2.5): a read of a whole 4 KiB
// block of the real disk into a whole, page-aligned guest page is not
// copied; the block's one machine page (hyp/mem/blockcache.h) is mapped
// read-only at the guest page (pmap_share), read from the real disk into
// the cache first if no VM has read it. Two VMs that read one block of a
// base image thus share its page until one writes to it (pmap_cow).
//
// The guest's requests travel through split virtqueues in its own memory;
// every address in them is guest-physical and is checked against the VM's
// RAM before it is used. A request that names memory outside it, sectors
// beyond the VM's region, or a malformed chain is answered with an error
// status, never followed.
//
// Requests are asynchronous, as Disco's were (4.2.4: the monitor
// intercepts the DMA and the virtual CPU runs on): the guest's notify only
// takes the new requests off its available ring and returns; the disk
// scheduler (hyp/dev/diskq.c) cuts them into pieces of bounded size and feeds
// them to the real disk, round robin between the VMs; when a request's
// last piece is done, it goes on the used ring and the device raises its
// interrupt. A VM's requests go on its used ring in the order it made them
// available, and their pieces reach the real disk in that order too, none
// started while an earlier one of the same VM on the same sectors is in
// flight: a read sees every write made available before it.
#ifndef HYP_VVIRTIO_BLK_H
#define HYP_VVIRTIO_BLK_H

#include "hyp/dev/virtio.h"
#include "hyp/dev/virtio_blk.h"
#include "hyp/dev/virtq_chain.h"
#include "kernel/types.h"

#define VVIRTIO_GPA_BASE  0x10001000UL   // QEMU virt's first virtio-mmio slot
#define VVIRTIO_GPA_SIZE  0x1000UL
#define VVIRTIO_BLK_IRQ   1              // its PLIC source, as on QEMU virt
#define VVIRTIO_QUEUE_MAX 16             // QueueNumMax
_Static_assert(VVIRTIO_QUEUE_MAX <= CHAIN_MAX, "a chain is at most a queue long");
#define VVIRTIO_PIECES    VIRTIO_BLK_SLOTS   // a VM's pieces in flight, at most
#define VVIRTIO_BOUNCE    4096           // bytes in a piece that is copied
// The queue's three areas (2.7) at their largest, each spanning at most
// two guest pages: descriptors 16 bytes each; the available ring flags,
// idx, a 2-byte entry each and used_event; the used ring flags, idx, an
// 8-byte entry each and avail_event.
#define VVIRTIO_DESC_BYTES  (16 * VVIRTIO_QUEUE_MAX)
#define VVIRTIO_AVAIL_BYTES (6 + 2 * VVIRTIO_QUEUE_MAX)
#define VVIRTIO_USED_BYTES  (6 + 8 * VVIRTIO_QUEUE_MAX)
_Static_assert(VVIRTIO_DESC_BYTES <= 4096 && VVIRTIO_USED_BYTES <= 4096,
               "each area spans at most two pages");
#define VVIRTIO_RING_PAGES 6
#define COW_DISK_MAX_MIB  64             // the largest copy-on-write disk
#define COW_DISK_MAX_SECTORS (COW_DISK_MAX_MIB * 1024 * 1024 / VIRTIO_BLK_SECTOR)

struct vm;
struct vm_config;

// A request's chain (struct chain, struct seg) is read, checked and
// copied through by hyp/dev/virtq_chain.c, small enough to be fuzzed.

// One request of the guest, from the moment the device takes it off the
// available ring until it goes on the used ring.
struct vreq {
  uint16_t head;             // its chain's first descriptor
  uint8_t status;            // VIRTIO_BLK_S_* so far
  bool answerable;           // it has a status byte we can write
  bool direct;               // data straight to/from the guest's pages
  bool flush_left;           // a FLUSH not yet handed to the real disk
  uint32_t type;             // VIRTIO_BLK_T_*
  uint64_t sector;           // its first sector on the VM's disk
  uint64_t data_off;         // where its data starts in its stream
  uint64_t len;              // data bytes
  uint64_t issued;           // data bytes handed to pieces so far
  int pieces;                // its pieces in flight
  uint32_t written;          // the used ring's len for it
  uint64_t taken;            // rdtime when taken off the available ring
  struct chain chain;
};

// A piece of a request on the real disk: at most VIRTIO_BLK_MAX_SEGS
// guest pages, or VVIRTIO_BOUNCE bytes through buf, or a flush.
struct vpiece {
  struct virtio_blk_io io;   // what the real disk is asked (first member)
  struct vm *vm;
  bool busy;                 // in flight
  int req;                   // its request, an index into reqs[]
  uint32_t gen;              // the device's generation when it started
  uint64_t first, nsect;     // the VM's sectors it covers (a flush: all)
  uint64_t off, len;         // its part of the request's data
  bool bounce;               // through buf (else straight)
  bool fill;                 // into blockcache pages, each a whole block
                             //   then mapped at gpa[i] (lab 3)
  uint64_t pinned[VIRTIO_BLK_MAX_SEGS];   // machine pages held (pmap_pin,
                             //   or a fill's blockcache pages)
  int npinned;
  uint64_t gpa[VIRTIO_BLK_MAX_SEGS];      // a fill: where each block goes
  // Monitor memory, so physically contiguous, as the real disk needs.
  uint8_t buf[VVIRTIO_BOUNCE] __attribute__((aligned(16)));
};

struct vvirtio_blk {
  bool present;              // the VM has a disk (else: no device there)
  uint64_t first_sector;     // its region of the real disk, in sectors
  uint64_t nsectors;
  bool cow;                  // a copy-on-write disk: the region above is
                             //   its overlay, and its base is at
  uint64_t base_sector;      //   base_sector (nsectors long)
  uint64_t modified[COW_DISK_MAX_SECTORS / 64];   // cow: sectors written
                             //   since boot (bit s % 64 of word s / 64)

  // The transport's registers (virtio 1.2, 4.2.2).
  uint32_t status;           // device status (2.1)
  uint32_t dev_features_sel;
  uint32_t drv_features_sel;
  uint64_t drv_features;     // what the driver accepted
  uint32_t queue_sel;
  uint32_t interrupt_status; // VIRTIO_INT_* not yet acknowledged

  // Queue 0, the only one; all addresses guest-physical.
  uint32_t queue_num;        // its size, 0 until the driver sets it
  bool queue_ready;
  uint64_t desc, avail, used;
  uint16_t last_avail;       // next entry of the available ring to take
  uint16_t used_idx;         // our used->idx
  bool no_notify;            // we asked the driver not to notify (2.7.10)
  bool avail_event_set;      // avail_event holds what we last wrote there:
  uint16_t avail_event;      //   (VIRTIO_F_EVENT_IDX)
  // The guest pages that hold the queue's three areas, pinned while the
  // queue is ready: the device reads and writes them directly (the rings,
  // in hyp/dev/vvirtio_blk.c).
  struct ring_page {
    uint64_t gpa, pa;        // a guest page, and its machine page
  } rings[VVIRTIO_RING_PAGES];
  int nrings;

  // Requests taken and not yet answered, oldest first: reqs[(req_head +
  // i) % VVIRTIO_QUEUE_MAX] for i < nreqs; and the pieces in flight.
  struct vreq reqs[VVIRTIO_QUEUE_MAX];
  int req_head, nreqs;
  struct vpiece pieces[VVIRTIO_PIECES];
  int inflight;              // pieces busy
  uint32_t gen;              // +1 at each device reset: older pieces' requests are gone
  bool stopping;             // the VM stops: no new pieces, its rings untouched

  // Counters.
  uint64_t reads, writes, flushes;   // requests served, by kind
  uint64_t direct;           // reads and writes moved with no copy
  uint64_t wait_ticks;       // rdtime ticks from taken to answered, all requests
  uint64_t errors;           // requests refused (IOERR, UNSUPP, malformed)
  uint64_t npieces;          // pieces sent to the real disk
  int inflight_max;          // most pieces in flight at once
  int queued_max;            // most requests taken and not yet answered
  uint64_t drained;          // pieces still in flight when the VM stopped
  uint64_t blocks;           // whole blocks read into whole pages (lab 3)
  uint64_t cache_hits;       // ... found in the blockcache: no disk read
  uint64_t cache_fills;      // ... read from the real disk into it
  uint64_t mapped;           // ... mapped shared (pmap_share), not copied
  uint64_t notifies;         // QueueNotify writes (the driver's traps)
  uint64_t irqs;             // used-buffer interrupts raised (line 0 -> 1)
};

// Give the VM the virtual disk its configuration asks for (cfg->disk
// bytes; none if 0): the region of the machine's disk that starts at
// cfg->disk_offset (fixed by the configuration's order, so a reboot finds
// it again); a cow disk's overlay, its base at cfg->disk_base_offset.
// Returns 0, or -1 with the reason in why[0..n) when the machine has no
// disk or a region does not fit on it. The caller has zeroed vm->blk.
int vvirtio_blk_init(struct vm *vm, const struct vm_config *cfg, char *why,
                     int n);

// A guest's load (read) or store (write) at offset off of the device's
// window. Registers take 4-byte accesses; the config space also 1- and
// 2-byte ones (4.2.2.2). Returns 0, or -1 for an access the device does
// not have (a wrong width or alignment, a hole in the map, a write to a
// read-only register): the caller stops the VM. A write to QueueNotify
// takes the new requests off the available ring and returns; the caller
// then calls vvirtio_blk_after_write, after it has released the lock.
// The caller holds the VM's device lock and calls mmio_irq_changed()
// afterwards.
int vvirtio_blk_read(struct vm *vm, uint64_t off, int width, uint64_t *val);
int vvirtio_blk_write(struct vm *vm, uint64_t off, int width, uint64_t val);

// After a guest's store to the device, the device lock released: start
// what a notify queued (diskq_run).
void vvirtio_blk_after_write(struct vm *vm);

// Is vm's disk's interrupt line up (some InterruptStatus bit set)?
bool vvirtio_blk_irq_level(struct vm *vm);

// The driver acknowledges every interrupt bit, as a write of all of them
// to InterruptACK does (for mmio_take_irq). The caller holds the device
// lock and calls mmio_irq_changed() afterwards.
void vvirtio_blk_ack(struct vm *vm);

// Does vm have a disk at all (its configuration gave it disk-mib)?
bool vvirtio_blk_present(struct vm *vm);

// For the disk scheduler (hyp/dev/diskq.c), which holds the VM's device lock
// around each call:

// The VM's next piece, ready to submit (its pages pinned), or NULL if it
// has none that may start now (nothing left, or the next one must wait
// for an earlier one on the same sectors, or all its pieces are busy).
struct vpiece *vvirtio_blk_next_piece(struct vm *vm);

// Piece p is back from the real disk (p->io.result says how it went):
// unpin its pages, copy a read's bounce buffer into the guest, and put
// every request now finished, in order, on the used ring, raising the
// device's interrupt (and the VM's PLIC line) if the driver wants it.
void vvirtio_blk_piece_done(struct vm *vm, struct vpiece *p);

// The VM stops: forget the requests not yet started, start no more, and
// leave its rings alone from now on. Pieces in flight still finish
// (diskq_drain waits for them).
void vvirtio_blk_stop(struct vm *vm);

#endif
