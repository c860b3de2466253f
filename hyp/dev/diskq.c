// hyp/dev/diskq.c: the disk scheduler (see hyp/dev/diskq.h).
//
// The real disk's slots are shared by the VMs round robin: diskq_run
// offers the next free slot to the VM after the one served last, which
// gives it its next piece (vvirtio_blk_next_piece), or none; so with
// several VMs busy, each gets every n-th piece however many requests it
// has queued. A piece is at most VIRTIO_BLK_MAX_SEGS guest pages: a huge
// request waits its turn a piece at a time.
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/dev/diskq.h"
#include "hyp/dev/virtio_blk.h"
#include "hyp/vm/vm.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"

static struct {
  struct spinlock lock;
  bool attached[MAX_VMS];     // vms[i] may get pieces
  int next;                   // the VM slot offered a piece first
  int watcher;                // the disk watcher's hart id, or -1 (atomic)
} dq = {.lock = SPINLOCK_INIT("diskq"), .watcher = -1};

void diskq_attach(struct vm *vm) {
  acquire(&dq.lock);
  dq.attached[vm->id - 1] = true;
  release(&dq.lock);
}

void diskq_drain(struct vm *vm) {
  acquire(&dq.lock);
  dq.attached[vm->id - 1] = false;
  acquire(&vm->dev_lock);
  vvirtio_blk_stop(vm);
  release(&vm->dev_lock);
  release(&dq.lock);
  for (;;) {
    acquire(&dq.lock);
    int left = vm->blk.inflight;      // changes under dq.lock only
    release(&dq.lock);
    if (left == 0)
      return;
    diskq_run();                      // the disk has them; bounded wait
  }
}

// Hand the finished pieces back to their VMs. Caller holds dq.lock.
static void reap(void) {
  struct virtio_blk_io *done[VIRTIO_BLK_SLOTS];
  int n = virtio_blk_reap(done, VIRTIO_BLK_SLOTS);
  for (int i = 0; i < n; i++) {
    struct vpiece *p = (struct vpiece *)done[i];   // io is its first member
    struct vm *vm = p->vm;
    acquire(&vm->dev_lock);
    vvirtio_blk_piece_done(vm, p);
    release(&vm->dev_lock);
  }
}

// Offer vms[i] a slot: start its next piece, if it has one. True if it
// did. Caller holds dq.lock.
static bool start_piece(int i) {
  struct vm *vm = &vms[i];
  if (!dq.attached[i])
    return false;
  acquire(&vm->dev_lock);
  struct vpiece *p = vvirtio_blk_next_piece(vm);
  if (p != NULL && virtio_blk_submit(&p->io) < 0) {
    p->io.result = -1;                // the disk is gone: the piece fails
    vvirtio_blk_piece_done(vm, p);
  }
  release(&vm->dev_lock);
  return p != NULL;
}

// Fill the free slots, a piece at a time, round robin over the VMs.
// Caller holds dq.lock.
static void dispatch(void) {
  bool started = true;
  while (started && virtio_blk_inflight() < VIRTIO_BLK_SLOTS) {
    started = false;
    for (int k = 0; k < MAX_VMS && !started; k++) {
      int i = (dq.next + k) % MAX_VMS;
      if (start_piece(i)) {
        dq.next = (i + 1) % MAX_VMS;  // the next one goes to the next VM
        started = true;
      }
    }
  }
}

void diskq_run(void) {
  acquire(&dq.lock);
  reap();
  dispatch();
  release(&dq.lock);
}

void diskq_poll(void) {
  if (virtio_blk_done_waiting())
    diskq_run();
}

uint64_t diskq_deadline(bool idle) {
  int me = (int)hart_id();
  if (virtio_blk_inflight() == 0) {
    int w = me;                       // nothing to watch: step down
    __atomic_compare_exchange_n(&dq.watcher, &w, -1, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
    return ~0UL;
  }
  int none = -1;
  if (!__atomic_compare_exchange_n(&dq.watcher, &none, me, false,
                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED) &&
      none != me)
    return ~0UL;                      // another hart watches
  uint64_t us = idle ? DISKQ_POLL_IDLE_US : DISKQ_POLL_RUN_US;
  return rdtime() + machine.timebase * us / 1000000;
}
