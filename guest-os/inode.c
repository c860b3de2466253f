// guest-os/inode.c: inodes, and a file's bytes in blocks (see
// guest-os/inode.h; the on-disk inode is drawn in guest-os/fs_format.h).
//
// Lock order, to avoid deadlock: an inode's sleep lock before any
// buffer's; a directory's before those of the inodes it names; the table
// lock (a spinlock) last and never across a sleep.
#include "guest-os/aspace.h"
#include "guest-os/balloc.h"
#include "guest-os/bcache.h"
#include "guest-os/fs.h"
#include "guest-os/inode.h"
#include "guest-os/log.h"
#include "guest-os/param.h"
#include "guest-os/proc.h"
#include "guest-os/stat.h"
#include "kernel/panic.h"
#include "kernel/string.h"

static struct {
  struct spinlock lock;
  struct inode inodes[NINODE];
} table = {.lock = SPINLOCK_INIT("itable")};

void inode_init(void) {
  for (int i = 0; i < NINODE; i++)
    sleeplock_init(&table.inodes[i].lock, "inode");
}

// The block of the inode table that holds inode inum, and its place there.
static uint32_t table_block(uint32_t inum) {
  return sb.inode_start + inum / FS_INODES_PER_BLOCK;
}
static struct fs_inode *inode_in(struct buf *b, uint32_t inum) {
  return (struct fs_inode *)b->data + inum % FS_INODES_PER_BLOCK;
}

struct inode *iget(uint32_t inum) {
  struct inode *empty = NULL;
  acquire(&table.lock);
  // In use already? Then share it: one struct per inode, so its lock
  // means something. Note the first free slot on the way.
  for (int i = 0; i < NINODE; i++) {
    struct inode *ip = &table.inodes[i];
    if (ip->refs > 0 && ip->inum == inum) {
      ip->refs++;
      release(&table.lock);
      return ip;
    }
    if (ip->refs == 0 && empty == NULL)
      empty = ip;
  }
  // Not in the table: take a free slot, to be read at the first ilock.
  // Nobody holds its sleep lock (nobody has a reference).
  if (empty != NULL) {
    empty->inum = inum;
    empty->refs = 1;
    empty->valid = false;
  }
  release(&table.lock);
  return empty;
}

struct inode *idup(struct inode *ip) {
  acquire(&table.lock);
  ip->refs++;
  release(&table.lock);
  return ip;
}

void ilock(struct inode *ip) {
  if (ip == NULL || ip->refs < 1)
    panic("ilock: an inode without a reference");
  sleeplock_acquire(&ip->lock);
  // First use since iget: copy the on-disk inode in.
  if (!ip->valid) {
    struct buf *b = bread(table_block(ip->inum));
    ip->d = *inode_in(b, ip->inum);
    brelse(b);
    ip->valid = true;
    if (ip->d.type == FS_T_FREE)
      panic("ilock: inode %u is free on the disk", ip->inum);
  }
}

void iunlock(struct inode *ip) {
  if (!sleeplock_holding(&ip->lock))
    panic("iunlock: inode %u is not locked by us", ip->inum);
  sleeplock_release(&ip->lock);
}

void iupdate(struct inode *ip) {
  // Into its place in the inode table's block, logged.
  struct buf *b = bread(table_block(ip->inum));
  *inode_in(b, ip->inum) = ip->d;
  txn_log(b);
  brelse(b);
}

void iput(struct inode *ip) {
  acquire(&table.lock);
  // The last reference to an inode with no name: nobody else can reach
  // it (no directory names it, no one holds a pointer), so taking its
  // lock cannot sleep, and no one can iget it while we free it.
  if (ip->refs == 1 && ip->valid && ip->d.nlink == 0) {
    release(&table.lock);
    sleeplock_acquire(&ip->lock);
    itrunc(ip);
    ip->d.type = FS_T_FREE;
    iupdate(ip);
    // From the iupdate on, ialloc may hand out this inode number again
    // and iget find this slot: make its next ilock read the disk.
    ip->valid = false;
    sleeplock_release(&ip->lock);
    acquire(&table.lock);
  }
  ip->refs--;
  release(&table.lock);
}

void iunlockput(struct inode *ip) {
  iunlock(ip);
  iput(ip);
}

struct inode *ialloc(uint16_t type) {
  // The first free inode, a table block at a time (inode 0 is never used).
  for (uint32_t first = 0; first < sb.ninodes; first += FS_INODES_PER_BLOCK) {
    struct buf *b = bread(table_block(first));
    for (uint32_t inum = first; inum < first + FS_INODES_PER_BLOCK &&
                                inum < sb.ninodes; inum++) {
      struct fs_inode *di = inode_in(b, inum);
      if (inum == 0 || di->type != FS_T_FREE)
        continue;
      // Claim it on the disk (in the transaction) before letting go of
      // the block, so that no one else can claim it too.
      memset(di, 0, sizeof(*di));
      di->type = type;
      txn_log(b);
      brelse(b);
      struct inode *ip = iget(inum);
      if (ip == NULL) {                       // the table is full: undo
        b = bread(table_block(inum));
        inode_in(b, inum)->type = FS_T_FREE;
        txn_log(b);
        brelse(b);
      }
      return ip;
    }
    brelse(b);
  }
  return NULL;
}

// The disk block that holds block n of ip's contents, or 0 if there is
// none. With alloc, a missing block is allocated (and ip->d changed; the
// caller writes it with iupdate); 0 then means the disk is full or n is
// beyond the largest file.
static uint32_t block_of(struct inode *ip, uint64_t n, bool alloc) {
  if (n < FS_NDIRECT) {
    if (ip->d.direct[n] == 0 && alloc)
      ip->d.direct[n] = block_alloc();
    return ip->d.direct[n];
  }
  n -= FS_NDIRECT;
  if (n >= FS_NINDIRECT)
    return 0;
  if (ip->d.indirect == 0) {
    if (!alloc || (ip->d.indirect = block_alloc()) == 0)
      return 0;
  }
  // The indirect block: an array of FS_NINDIRECT block numbers.
  struct buf *ib = bread(ip->d.indirect);
  uint32_t *list = (uint32_t *)ib->data;
  uint32_t b = list[n];
  if (b == 0 && alloc && (b = block_alloc()) != 0) {
    list[n] = b;
    txn_log(ib);
  }
  brelse(ib);
  return b;
}

uint32_t file_block(struct inode *ip, uint64_t n) {
  return block_of(ip, n, false);
}

void itrunc(struct inode *ip) {
  // Only the bitmap changes for each block: nobody reads a freed block,
  // and block_alloc zeroes it before it is used again.
  for (int i = 0; i < FS_NDIRECT; i++) {
    if (ip->d.direct[i] != 0) {
      block_free(ip->d.direct[i]);
      ip->d.direct[i] = 0;
    }
  }
  if (ip->d.indirect != 0) {
    struct buf *ib = bread(ip->d.indirect);
    uint32_t *list = (uint32_t *)ib->data;
    for (int i = 0; i < FS_NINDIRECT; i++)
      if (list[i] != 0)
        block_free(list[i]);
    brelse(ib);                 // freed whole: no need to clear it
    block_free(ip->d.indirect);
    ip->d.indirect = 0;
  }
  ip->d.size = 0;
  iupdate(ip);
}

// Copy n bytes from src to dst, where one of them is a user address of
// the calling process if user is set (to_user says which). 0 or -1.
static int copy(bool user, bool to_user, uint64_t dst, uint64_t src,
                uint64_t n) {
  struct aspace *as = &this_proc()->as;
  if (!user) {
    memmove((void *)dst, (const void *)src, n);
    return 0;
  }
  return to_user ? copy_to_user(as, dst, (const void *)src, n)
                 : copy_from_user(as, (void *)dst, src, n);
}

int64_t readi(struct inode *ip, bool user, uint64_t dst, uint64_t off,
              uint64_t n) {
  if (off >= ip->d.size)
    return 0;                                 // at or past the end
  if (n > ip->d.size - off)
    n = ip->d.size - off;
  // A block at a time: the part of block (off + done) / FS_BLOCK that
  // the request covers, from `at` in the block, `len` bytes.
  for (uint64_t done = 0; done < n;) {
    uint32_t bn = block_of(ip, (off + done) / FS_BLOCK, false);
    if (bn == 0)
      panic("readi: inode %u has no block for byte %lu of %u", ip->inum,
            off + done, ip->d.size);
    struct buf *b = bread(bn);
    uint64_t at = (off + done) % FS_BLOCK;
    uint64_t len = FS_BLOCK - at < n - done ? FS_BLOCK - at : n - done;
    int r = copy(user, true, dst + done, (uint64_t)b->data + at, len);
    brelse(b);
    if (r < 0)
      return -1;
    done += len;
  }
  return (int64_t)n;
}

int64_t writei(struct inode *ip, bool user, uint64_t src, uint64_t off,
               uint64_t n) {
  // Within the largest file; and starting inside the file or at its end.
  uint64_t max = (uint64_t)FS_MAX_BLOCKS * FS_BLOCK;
  if (off > ip->d.size || off >= max)
    return -1;
  if (n > max - off)
    n = max - off;
  // A block at a time, as readi, allocating blocks as the file grows;
  // each changed block goes into the transaction.
  uint64_t done = 0;
  bool failed = false;
  while (done < n) {
    uint32_t bn = block_of(ip, (off + done) / FS_BLOCK, true);
    if (bn == 0)
      break;                                  // the disk is full
    struct buf *b = bread(bn);
    uint64_t at = (off + done) % FS_BLOCK;
    uint64_t len = FS_BLOCK - at < n - done ? FS_BLOCK - at : n - done;
    failed = copy(user, false, (uint64_t)b->data + at, src + done, len) < 0;
    if (!failed)
      txn_log(b);
    brelse(b);
    if (failed)
      break;
    done += len;
  }
  if (off + done > ip->d.size)
    ip->d.size = (uint32_t)(off + done);
  // Also when nothing was written: block_of may have allocated blocks,
  // which ip->d now lists.
  iupdate(ip);
  return done > 0 || n == 0 ? (int64_t)done : -1;
}

void istat(struct inode *ip, struct stat *st) {
  st->inum = ip->inum;
  st->type = ip->d.type == FS_T_DIR ? STAT_DIR : STAT_FILE;
  st->nlink = ip->d.nlink;
  st->size = ip->d.size;
}
