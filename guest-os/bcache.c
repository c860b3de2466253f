// guest-os/bcache.c: the buffer cache (see guest-os/bcache.h).
//
// The buffers sit on one list, most recently used first:
//
//   lru <-> [newest] <-> ... <-> [oldest] <-> lru      (a ring through
//                                                       the sentinel lru)
//
// A lookup walks it from the newest end (recent blocks are the likely
// ones); a buffer for a new block is taken from the oldest end, the
// first with no references. brelse moves a buffer nobody holds any more
// to the newest end. cache.lock guards the list, blockno and refs; each
// buffer's sleep lock guards its contents.
#include "guest-os/bcache.h"
#include "guest-os/disk.h"
#include "guest-os/page.h"
#include "guest-os/param.h"
#include "guest-os/sched.h"
#include "kernel/panic.h"

#define NO_BLOCK UINT32_MAX      // blockno of a buffer that holds none

static struct {
  struct spinlock lock;
  struct buf bufs[NBUF];
  struct buf lru;                // sentinel: lru.older is the newest
} cache = {.lock = SPINLOCK_INIT("bcache")};

// Unlink b from the list and put it back at the newest end. Caller holds
// cache.lock.
static void make_newest(struct buf *b) {
  b->newer->older = b->older;
  b->older->newer = b->newer;
  b->older = cache.lru.older;
  b->newer = &cache.lru;
  cache.lru.older->newer = b;
  cache.lru.older = b;
}

void bcache_init(void) {
  cache.lru.newer = cache.lru.older = &cache.lru;
  for (int i = 0; i < NBUF; i++) {
    struct buf *b = &cache.bufs[i];
    // The pages are taken now, at boot, so that running out of memory
    // later never leaves the file system without buffers.
    b->data = (uint8_t *)page_alloc();
    if (b->data == NULL)
      panic("bcache_init: no memory for %d buffers", NBUF);
    sleeplock_init(&b->lock, "buf");
    b->blockno = NO_BLOCK;
    b->newer = b->older = b;
    acquire(&cache.lock);
    make_newest(b);
    release(&cache.lock);
  }
}

// The buffer for blockno, locked, whose data may not be valid yet.
static struct buf *get(uint32_t blockno) {
  acquire(&cache.lock);
  for (;;) {
    struct buf *b;
    // Cached already? Newest first.
    for (b = cache.lru.older; b != &cache.lru; b = b->older) {
      if (b->blockno == blockno) {
        b->refs++;
        release(&cache.lock);
        sleeplock_acquire(&b->lock);
        return b;
      }
    }
    // No: take the oldest buffer nobody holds. No one can be waiting for
    // its lock (they would count in refs), so it is ours at once.
    for (b = cache.lru.newer; b != &cache.lru; b = b->newer) {
      if (b->refs == 0) {
        b->blockno = blockno;
        b->valid = false;
        b->refs = 1;
        release(&cache.lock);
        sleeplock_acquire(&b->lock);
        return b;
      }
    }
    // Every buffer is held or pinned. They are held briefly and pins end
    // at the next commit, so wait for a brelse.
    proc_sleep(&cache, &cache.lock);
  }
}

struct buf *bread(uint32_t blockno) {
  struct buf *b = get(blockno);
  if (!b->valid) {
    disk_rw(b->data, blockno, false);
    b->valid = true;
  }
  return b;
}

struct buf *bread_zeroed(uint32_t blockno) {
  struct buf *b = get(blockno);
  page_zero(b->data);
  b->valid = true;
  return b;
}

void bwrite(struct buf *b) {
  if (!sleeplock_holding(&b->lock))
    panic("bwrite: block %u is not locked", b->blockno);
  disk_rw(b->data, b->blockno, true);
}

// Drop one reference to b; the last one makes it the newest unused
// buffer, and someone waiting for a buffer may now have it.
static void unref(struct buf *b) {
  acquire(&cache.lock);
  if (--b->refs == 0) {
    make_newest(b);
    proc_wakeup(&cache);
  }
  release(&cache.lock);
}

void brelse(struct buf *b) {
  sleeplock_release(&b->lock);
  unref(b);
}

void bpin(struct buf *b) {
  acquire(&cache.lock);
  b->refs++;
  release(&cache.lock);
}

void bunpin(struct buf *b) { unref(b); }
