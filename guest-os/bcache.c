// guest-os/bcache.c: the buffer cache (see guest-os/bcache.h).
//
// Its size is set at mount, from the memory the kernel found at boot: a
// BCACHE_FRACTION of the free pages (a 64 MiB VM: 15 MiB, some 3900
// blocks), as Disco's IRIX gave its file cache most of what its programs
// left (Disco 5.1: the cache held most of Pmake's files). No more than
// the disk has blocks (the rest could never be used), and never fewer
// than NBUF_MIN (guest-os/log.c: a full log stays pinned in the cache).
// The boot argument bcache-blocks=N asks for N instead, within the same
// bounds (the tests shrink the cache to watch it work).
//
// Only NBUF_MIN buffers get their pages at mount, so that running out
// of memory later never leaves the file system without buffers. The
// others take theirs when first used: in a Disco-V VM memory is backed
// on first touch (guest-os/page.c), and a cache filled with zeroed pages
// at mount would cost the VM its whole size before it read a block.
//
// The buffers sit on one list, most recently used first:
//
//   lru <-> [newest] <-> ... <-> [oldest] <-> lru      (a ring through
//                                                       the sentinel lru)
//
// A buffer for a new block is taken from the oldest end, the first with
// no references. brelse moves a buffer nobody holds any more to the
// newest end (or, when it holds no block, to the oldest end: the next to
// be taken). With thousands of buffers a walk of the list per lookup
// would cost more than it saves, so a lookup goes through a hash table
// instead: NBUCKET chains, block b's on chain b % NBUCKET. cache.lock
// guards the list, the chains, blockno and refs; each buffer's sleep
// lock guards its contents.
#include "guest-os/bcache.h"
#include "guest-os/disk.h"
#include "guest-os/fs_format.h"
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "guest-os/param.h"
#include "guest-os/sched.h"
#include "kernel/panic.h"
#include "kernel/printf.h"

#define NO_BLOCK UINT32_MAX      // blockno of a buffer that holds none
#define NBUCKET  256             // hash chains: a few buffers each

_Static_assert(FS_BLOCK == PAGE_SIZE, "a buffer holds a block in a page");
_Static_assert(BCACHE_FRACTION == 4, "cache_size's boot line says 1/4");

static struct {
  struct spinlock lock;
  int nbuf;                      // buffers, set at mount
  int pages;                     // pages taken: headers and data
  struct buf lru;                // sentinel: lru.older is the newest
  struct buf *chain[NBUCKET];    // by blockno % NBUCKET, through hnext
} cache = {.lock = SPINLOCK_INIT("bcache")};

// Take b off the list, and put it back at the newest end, or at the
// oldest. Caller holds cache.lock.
static void lru_remove(struct buf *b) {
  b->newer->older = b->older;
  b->older->newer = b->newer;
}

static void make_newest(struct buf *b) {
  lru_remove(b);
  b->older = cache.lru.older;
  b->newer = &cache.lru;
  cache.lru.older->newer = b;
  cache.lru.older = b;
}

static void make_oldest(struct buf *b) {
  lru_remove(b);
  b->newer = cache.lru.newer;
  b->older = &cache.lru;
  cache.lru.newer->older = b;
  cache.lru.newer = b;
}

// Make b the buffer of blockno (NO_BLOCK: of none), moving it from its
// old block's chain to the new one's. Caller holds cache.lock.
static void set_block(struct buf *b, uint32_t blockno) {
  if (b->blockno != NO_BLOCK) {
    struct buf **pp = &cache.chain[b->blockno % NBUCKET];
    while (*pp != b)
      pp = &(*pp)->hnext;
    *pp = b->hnext;
  }
  b->blockno = blockno;
  if (blockno != NO_BLOCK) {
    b->hnext = cache.chain[blockno % NBUCKET];
    cache.chain[blockno % NBUCKET] = b;
  }
}

// How many buffers, and why that many (for the boot line).
static int cache_size(const char **why) {
  uint64_t n = page_free_count() / BCACHE_FRACTION;
  *why = "1/4 of free memory";
  long asked = machine_bootarg_num("bcache-blocks", -1);
  if (asked >= 0) {
    n = (uint64_t)asked;
    *why = "bcache-blocks";
  }
  if (n > disk_blocks()) {
    n = disk_blocks();
    *why = "the disk's size";
  }
  if (n < NBUF_MIN) {
    n = NBUF_MIN;
    *why = "the log's minimum";
  }
  return (int)n;
}

void bcache_init(void) {
  const char *why;
  cache.nbuf = cache_size(&why);
  cache.lru.newer = cache.lru.older = &cache.lru;
  // The headers are carved from pages, as many to a page as fit: the
  // cache reaches them only through the list and the chains, never as
  // an array. The first NBUF_MIN get their pages now (see above); they
  // are the oldest on the list, so the first used.
  struct buf *headers = NULL;
  size_t left = 0;               // headers left in that page
  for (int i = 0; i < cache.nbuf; i++) {
    if (left == 0) {
      headers = (struct buf *)page_alloc();
      left = PAGE_SIZE / sizeof(struct buf);
      cache.pages++;
    }
    struct buf *b = headers;
    if (b == NULL || (i < NBUF_MIN && (b->data = (uint8_t *)page_alloc()) == NULL))
      panic("bcache_init: no memory for %d buffers", cache.nbuf);
    cache.pages += i < NBUF_MIN;
    headers++, left--;
    sleeplock_init(&b->lock, "buf");
    b->blockno = NO_BLOCK;
    b->newer = b->older = b;
    acquire(&cache.lock);
    make_newest(b);
    release(&cache.lock);
  }
  printf("guest-os: buffer cache: %d blocks, %lu KiB (%s); %d pages taken at "
         "mount, the rest when first used\n", cache.nbuf,
         (uint64_t)cache.nbuf * PAGE_SIZE / 1024, why, NBUF_MIN);
}

// The buffer for blockno, locked, whose data may not be valid yet.
static struct buf *get(uint32_t blockno) {
  acquire(&cache.lock);
  for (;;) {
    struct buf *b;
    // Cached already?
    for (b = cache.chain[blockno % NBUCKET]; b != NULL; b = b->hnext) {
      if (b->blockno == blockno) {
        b->refs++;
        release(&cache.lock);
        sleeplock_acquire(&b->lock);
        return b;
      }
    }
    // No: take the oldest buffer nobody holds. No one can be waiting for
    // its lock (they would count in refs), so it is ours at once. One
    // that has no page yet takes one now; when memory has run out, it
    // stays without, and an older-used buffer serves instead.
    for (b = cache.lru.newer; b != &cache.lru; b = b->newer) {
      if (b->refs == 0 && b->data == NULL && (b->data = (uint8_t *)page_alloc()) != NULL)
        cache.pages++;
      if (b->refs == 0 && b->data != NULL) {
        set_block(b, blockno);
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

int bcache_pages(void) {
  return __atomic_load_n(&cache.pages, __ATOMIC_RELAXED);
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

// Why the block read straight into page is the newest: the disk's copy
// of a block (its home) is older than the truth only while a buffer
// holds newer data, and such a buffer stays in the cache until the data
// is home: a changed block is logged, pinned (refs > 0, never reused)
// and unpinned only once installed (guest-os/log.c). The cache keeps at
// most one buffer per block, and here that buffer is b, locked by us for
// the whole read: so no buffer holds newer data now (b would be it, and
// valid), and none can get any until we let go (changing the block
// takes b's lock first; so does writing it home, bwrite). Another
// process that wants the block meanwhile finds b and waits for its lock,
// then reads the block from the disk itself (b is not valid), as after
// any bread that found the block uncached.
bool bread_page(uint32_t blockno, void *page) {
  struct buf *b = get(blockno);
  bool straight = !b->valid;
  if (straight)
    disk_read_straight(page, blockno);
  else
    page_copy(page, b->data);
  // The block went to page, not to b: b stays invalid. Unless someone is
  // waiting for b, it holds no block any more, and goes to the oldest
  // end, the next buffer to be reused (unref): so a run of reads
  // straight takes the same buffer each time, not one cached block
  // after another.
  acquire(&cache.lock);
  if (straight && b->refs == 1)
    set_block(b, NO_BLOCK);
  release(&cache.lock);
  brelse(b);
  return straight;
}

void bwrite(struct buf *b) {
  if (!sleeplock_holding(&b->lock))
    panic("bwrite: block %u is not locked", b->blockno);
  disk_rw(b->data, b->blockno, true);
}

// Drop one reference to b; the last one makes it the newest unused
// buffer (the oldest when it holds no block), and someone waiting for a
// buffer may now have it.
static void unref(struct buf *b) {
  acquire(&cache.lock);
  if (--b->refs == 0) {
    if (b->blockno == NO_BLOCK)
      make_oldest(b);
    else
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
