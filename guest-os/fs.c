// guest-os/fs.c: mounting the file system (see guest-os/fs.h).
#include "guest-os/balloc.h"
#include "guest-os/bcache.h"
#include "guest-os/fs_format.h"
#include "guest-os/disk.h"
#include "guest-os/fs.h"
#include "guest-os/inode.h"
#include "guest-os/log.h"
#include "guest-os/param.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct fs_super sb;
static bool mounted;

bool fs_mounted(void) { return mounted; }

// Blocks needed to hold n things of which per_block fit in a block.
static uint32_t blocks_for(uint32_t n, uint32_t per_block) {
  return (n + per_block - 1) / per_block;
}

// Is the superblock one we can use on this disk? NULL if so, else why
// not. The parts must follow one another as fs_format.h draws them.
static const char *check_super(void) {
  static char why[96];
  uint32_t bitmap_blocks = blocks_for(sb.nblocks, FS_BITS_PER_BLOCK);
  if (sb.magic != FS_MAGIC) {
    snprintf(why, sizeof(why), "no guest-os file system (magic 0x%x, want 0x%x)",
             sb.magic, FS_MAGIC);
    return why;
  }
  if (sb.version != FS_VERSION) {
    snprintf(why, sizeof(why), "file system version %u, want %u", sb.version,
             FS_VERSION);
    return why;
  }
  if (sb.nblocks > disk_blocks()) {
    snprintf(why, sizeof(why), "a file system of %u blocks on a disk of %lu",
             sb.nblocks, disk_blocks());
    return why;
  }
  if (sb.log_start != 1 || sb.inode_start != sb.log_start + 1 + sb.log_slots ||
      sb.bitmap_start != sb.inode_start + blocks_for(sb.ninodes, FS_INODES_PER_BLOCK) ||
      sb.data_start != sb.bitmap_start + bitmap_blocks ||
      sb.data_start >= sb.nblocks || sb.ninodes <= FS_ROOT_INUM)
    return "its superblock's layout does not add up";
  // Transactions are sized for this many bitmap blocks (guest-os/file.c).
  if (bitmap_blocks > FS_MAX_BITMAP_BLOCKS)
    return "it is too big (more than FS_MAX_BITMAP_BLOCKS bitmap blocks)";
  return NULL;
}

// Free the inodes that no directory names. A file unlinked while open
// keeps its inode and blocks until its last close (guest-os/inode.h); if
// the machine stopped before that, nothing will ever close it. At mount
// nothing is open, so every used inode with nlink 0 is such an orphan:
// dropping a reference to it frees it, one transaction each.
static void reclaim_orphans(void) {
  int freed = 0;
  for (uint32_t first = 0; first < sb.ninodes; first += FS_INODES_PER_BLOCK) {
    struct buf *b = bread(sb.inode_start + first / FS_INODES_PER_BLOCK);
    const struct fs_inode *di = (const struct fs_inode *)b->data;
    uint32_t orphans[FS_INODES_PER_BLOCK], n = 0;
    for (uint32_t i = 0; i < FS_INODES_PER_BLOCK && first + i < sb.ninodes; i++)
      if (first + i != 0 && di[i].type != FS_T_FREE && di[i].nlink == 0)
        orphans[n++] = first + i;
    brelse(b);
    for (uint32_t k = 0; k < n; k++) {
      txn_begin();
      struct inode *ip = iget(orphans[k]);
      ilock(ip);                 // read it: iput frees only what it knows
      iunlockput(ip);
      txn_end();
      freed++;
    }
  }
  if (freed > 0)
    printf("guest-os: file system: freed %d inodes that were unlinked while "
           "open when the last boot ended\n", freed);
}

void fs_mount(void) {
  // No disk: nothing to mount, and no memory spent on buffers.
  if (disk_blocks() == 0) {
    printf("guest-os: no file system (no disk); exec runs the built-in "
           "programs\n");
    return;
  }
  bcache_init();
  inode_init();
  // The superblock: block 0's first bytes.
  struct buf *b = bread(0);
  memcpy(&sb, b->data, sizeof(sb));
  brelse(b);
  const char *why = check_super();
  if (why != NULL) {
    printf("guest-os: the disk is not used: %s\n", why);
    return;
  }
  if (log_init(&sb) < 0)
    return;
  mounted = true;
  reclaim_orphans();
  printf("guest-os: file system: %u blocks (%u free), %u inodes, log of %u "
         "blocks\n", sb.nblocks, blocks_free(), sb.ninodes, sb.log_slots);
}
