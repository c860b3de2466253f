// guest-os/bcache.h: the buffer cache: disk blocks kept in memory.
//
// Every file-system access to the disk goes through here. The cache holds
// a quarter of memory's worth of blocks (guest-os/bcache.c says exactly
// how many), each in a page of its own (a block is 4 KiB, a page: a
// later lab shares such pages between VMs, Disco 4.2.4's copy-on-write
// disks). It does two jobs:
//   - it keeps recently used blocks, so a block read again costs no disk
//     access; when a new block needs room, the buffer unused for longest
//     is reused (least recently used, LRU);
//   - it makes each block one object with one lock: at most one buffer
//     per block, and a process that reads or changes the block holds that
//     buffer's sleep lock, so two processes never see each other's half
//     changes.
//
// The rules: bread() returns the block locked; change its data only
// inside a transaction and tell the log (guest-os/log.h: txn_log); let
// go with brelse(). Nothing else writes blocks back: the log does, when a
// transaction commits (bwrite). A buffer the log still needs is pinned:
// it stays in the cache, with its new data, until installed.
#ifndef GUEST_OS_BCACHE_H
#define GUEST_OS_BCACHE_H

#include "guest-os/sleeplock.h"
#include "kernel/types.h"

struct buf {
  struct sleeplock lock;     // its holder alone reads or writes data
  bool valid;                // (lock) data holds the block's contents
  uint32_t blockno;          // (cache lock) which block; NO_BLOCK: none
  int refs;                  // (cache lock) bread()s not brelse()d, plus
                             // pins; 0: may be reused for another block
  struct buf *newer, *older; // (cache lock) the LRU list
  struct buf *hnext;         // (cache lock) its hash chain (bcache.c)
  uint8_t *data;             // the block: one page (NULL until the
                             // buffer is first used, bcache.c)
};

// Size the cache from free memory and the disk, and take a page for each
// buffer. Once, at mount, before the first bread().
void bcache_init(void);

// Pages the cache has taken so far (headers and buffers' data; it never
// gives one back), for guest-os's power-off memory line (page.c).
int bcache_pages(void);

// Block `blockno`, locked, with its contents (read from the disk unless
// cached). Sleeps while another process holds it, or while every buffer
// is in use.
struct buf *bread(uint32_t blockno);

// Block `blockno`, locked, with its data zeroed rather than read: for a
// block just allocated, whose old contents do not matter.
struct buf *bread_zeroed(uint32_t blockno);

// Copy block `blockno` into `page` (a page of the caller's, such as a
// new user page of exec's): from its buffer if the cache has the block,
// else straight from the disk, without keeping it in the cache. The
// block is the newest either way (bcache.c says why). True if it came
// straight from the disk: then the disk wrote the page itself, which
// under Disco-V lets the monitor map one machine page shared by every VM
// that reads the block (Disco 4.2.5); a copy from a buffer is private.
bool bread_page(uint32_t blockno, void *page);

// Write b's data to its block on the disk. The caller holds b's lock.
void bwrite(struct buf *b);

// Let go of b (the caller holds its lock), making it the most recently
// used buffer.
void brelse(struct buf *b);

// Keep b in the cache after its brelse(), or stop keeping it.
void bpin(struct buf *b);
void bunpin(struct buf *b);

#endif
