// guest-os/log.c: the write-ahead log (see guest-os/log.h).
//
// Why a log. Creating a file changes several blocks: the inode table
// (the new inode), the directory (its entry), perhaps the bitmap and the
// directory's inode. A crash between two of those writes would leave the
// disk half-changed: an entry naming a free inode, a block marked used
// that no file owns. So no change goes to its place ("home") directly.
// A transaction's blocks are first written to the log, a separate area,
// and the disk is told, in one sector write, that they form a whole:
//
//   1. write    copy each changed block into a log slot;      flush
//   2. commit   write the log header: count = n, home[] = where each
//               slot belongs. This one-sector write is the moment the
//               transaction happens.                           flush
//   3. install  write each block to its home;                  flush
//   4. clear    write the header again with count = 0
//
// A crash before step 2 leaves the header at 0: the homes were never
// touched, so the disk is as before the transaction; the slots hold
// garbage nobody will read. A crash after step 2 leaves a header with
// count > 0, and the next boot (log_init) does steps 3 and 4 from the
// slots: the disk is as after the transaction. Step 3 may run twice
// (crashed during installing, installed again at boot): it writes the
// same data to the same places, so doing it again is harmless. Either
// way, every transaction is on the disk entirely or not at all.
//
// The flushes make "before" true on a disk with a write cache, which may
// otherwise put completed writes on the medium in any order: the slots
// must be there before the record that vouches for them, the record
// before any home is overwritten, and the homes before the record is
// erased. (The clear needs no flush: if it is lost, the next boot
// installs the same blocks again.)
//
// Group commit. Committing costs the same header writes and flushes
// whatever the number of blocks, so concurrent transactions share one
// commit: a commit waits until no transaction is open, then writes all
// they logged. A new transaction is admitted only while the log is sure
// to fit it (each open one may still log TXN_MAX_BLOCKS) and no commit
// is in progress. While blocks wait for the commit, their buffers are
// pinned in the cache: the new data lives only there, and nothing else
// may write it home early (that would break step 2's promise).
//
// fscrash=N in the boot arguments powers the machine off right after the
// commit record of this boot's N-th transaction is on the disk, before
// installing any of it: the crash-recovery test (tests/system/
// test_guest_os.py) boots twice over one disk to watch step 3 happen at
// the second boot.
#include "guest-os/bcache.h"
#include "guest-os/disk.h"
#include "guest-os/log.h"
#include "guest-os/machine.h"
#include "guest-os/param.h"
#include "guest-os/proc.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/sbi.h"
#include "kernel/string.h"

static struct {
  struct spinlock lock;
  uint32_t header;            // the header's block number
  int slots;                  // log slots on the disk
  int open;                   // transactions begun and not ended
  bool committing;            // a commit is writing: nobody may begin
  int n;                      // blocks logged by the current group ...
  uint32_t home[FS_LOG_SLOTS];  // ... and their block numbers
  uint32_t seq;               // groups committed this boot
  long crash_at;              // fscrash=N, or 0
} lg = {.lock = SPINLOCK_INIT("log")};

// Every logged block stays pinned in the cache until installed, so the
// cache must hold a full log and still have room for what running
// processes hold at once (a few buffers each, at most three open
// transactions' worth being unlogged). The cache's size is set at mount
// (guest-os/bcache.c), never below NBUF_MIN.
_Static_assert(NBUF_MIN >= FS_LOG_SLOTS + 16, "the buffer cache is smaller than the log");

// A commit's (or a replay's) blocks, locked, in slot order, and their
// pages; only one commit runs at a time.
static struct buf *held[FS_LOG_SLOTS];
static void *pages[FS_LOG_SLOTS];

// The block of log slot i.
static uint32_t slot_block(int i) { return lg.header + 1 + (uint32_t)i; }

// Write the header: `count` slots of home[] form a committed whole, or,
// with count 0, nothing does.
static void write_header(uint32_t count) {
  struct buf *b = bread(lg.header);
  struct fs_log_header *h = (struct fs_log_header *)b->data;
  h->count = count;
  h->seq = lg.seq;
  memcpy(h->home, lg.home, sizeof(h->home));
  bwrite(b);
  brelse(b);
}

// Step 3: write held[0 .. lg.n) to their homes, lg.home[]. Blocks whose
// homes are consecutive go together, as one run (a file's new blocks
// usually are): sort the slots by home, then cut into runs.
static void install(void) {
  static int order[FS_LOG_SLOTS];
  static void *run[FS_LOG_SLOTS];
  for (int i = 0; i < lg.n; i++) {
    int j = i;
    for (; j > 0 && lg.home[order[j - 1]] > lg.home[i]; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  for (int i = 0; i < lg.n;) {
    int len = 0;
    do
      run[len++] = pages[order[i++]];
    while (i < lg.n && lg.home[order[i]] == lg.home[order[i - 1]] + 1);
    disk_rw_run(run, lg.home[order[i - len]], len, true);
  }
}

// Let go of held[0 .. lg.n); unpin them too if `pinned`.
static void drop_held(bool pinned) {
  for (int i = 0; i < lg.n; i++) {
    if (pinned)
      bunpin(held[i]);
    brelse(held[i]);
  }
}

// Steps 3 and 4 at boot, for the n blocks the last boot committed: read
// the slots straight into buffers for the homes (no need to read the
// homes' old contents), then install as a commit would.
static void replay(const struct fs_log_header *h) {
  lg.n = (int)h->count;
  memcpy(lg.home, h->home, sizeof(lg.home));
  for (int i = 0; i < lg.n; i++) {
    held[i] = bread_zeroed(lg.home[i]);
    pages[i] = held[i]->data;
  }
  disk_rw_run(pages, slot_block(0), lg.n, false);
  install();
  disk_flush();
  drop_held(false);
  lg.n = 0;
  memset(lg.home, 0, sizeof(lg.home));
}

int log_init(const struct fs_super *sb) {
  lg.header = sb->log_start;
  lg.slots = (int)sb->log_slots;
  lg.crash_at = machine_bootarg_num("fscrash", 0);
  if (lg.slots < TXN_MAX_BLOCKS || lg.slots > FS_LOG_SLOTS) {
    printf("guest-os: file system not used: a log of %d slots (want %d to "
           "%d)\n", lg.slots, TXN_MAX_BLOCKS, FS_LOG_SLOTS);
    return -1;
  }
  // The header, as the last boot left it. A copy: replay reads blocks.
  static struct fs_log_header h;
  struct buf *b = bread(lg.header);
  memcpy(&h, b->data, sizeof(h));
  brelse(b);
  if (h.count > (uint32_t)lg.slots) {
    printf("guest-os: file system not used: the log header says %u blocks, "
           "the log has %d slots\n", h.count, lg.slots);
    return -1;
  }
  for (uint32_t i = 0; i < h.count; i++) {
    bool twice = false;
    for (uint32_t j = 0; j < i; j++)
      twice |= h.home[j] == h.home[i];
    if (h.home[i] <= slot_block(lg.slots - 1) || h.home[i] >= sb->nblocks ||
        twice) {
      printf("guest-os: file system not used: log slot %u belongs to block "
             "%u, outside the file system or named twice\n", i, h.home[i]);
      return -1;
    }
  }
  if (h.count > 0) {
    replay(&h);
    write_header(0);
    printf("guest-os: log: replayed transaction %u of the last boot "
           "(%u blocks)\n", h.seq, h.count);
  }
  return 0;
}

void txn_begin(void) {
  if (lg.slots == 0)
    panic("txn_begin: there is no file system (no log)");
  acquire(&lg.lock);
  // Wait while a commit writes, or while the blocks logged so far plus
  // the most each open transaction and this one may add would overflow.
  while (lg.committing ||
         lg.n + (lg.open + 1) * TXN_MAX_BLOCKS > lg.slots)
    proc_sleep(&lg, &lg.lock);
  lg.open++;
  release(&lg.lock);
}

void txn_log(struct buf *b) {
  acquire(&lg.lock);
  if (lg.open < 1)
    panic("txn_log: block %u changed outside a transaction", b->blockno);
  for (int i = 0; i < lg.n; i++) {
    if (lg.home[i] == b->blockno) {         // logged already: absorbed
      release(&lg.lock);
      return;
    }
  }
  if (lg.n == lg.slots)
    panic("txn_log: the log is full (%d blocks): a transaction changed "
          "more than TXN_MAX_BLOCKS (%d)", lg.slots, TXN_MAX_BLOCKS);
  lg.home[lg.n++] = b->blockno;
  bpin(b);
  release(&lg.lock);
}

// Power off now if fscrash= asked for this transaction (see the top).
static void crash_point(void) {
  if (lg.crash_at == 0 || lg.seq != (uint32_t)lg.crash_at)
    return;
  printf("guest-os: fscrash: transaction %u is committed (%d blocks in the "
         "log) and not installed: powering off\n", lg.seq, lg.n);
  sbi_system_reset(SBI_RESET_SHUTDOWN, SBI_RESET_REASON_NONE);
}

// Steps 1 to 4 for the group's lg.n blocks. No transaction is open and
// new ones wait (lg.committing), so lg.n and lg.home stay as they are
// without the lock, and no one changes the blocks.
static void commit(void) {
  if (lg.n == 0)
    return;                                   // the group only read
  // The group's buffers: pinned, so cached; bread reads nothing.
  for (int i = 0; i < lg.n; i++) {
    held[i] = bread(lg.home[i]);
    pages[i] = held[i]->data;
  }
  // 1. Into the slots, which are consecutive: one run.
  disk_rw_run(pages, slot_block(0), lg.n, true);
  disk_flush();
  // 2. The commit record.
  lg.seq++;
  write_header((uint32_t)lg.n);
  disk_flush();
  crash_point();
  // 3. Install.
  install();
  disk_flush();
  // 4. Done: the log holds nothing to install, and the buffers need not
  // stay in the cache any longer.
  write_header(0);
  drop_held(true);
  lg.n = 0;
}

void txn_end(void) {
  acquire(&lg.lock);
  if (lg.open < 1 || lg.committing)
    panic("txn_end: no transaction open, or one ended during a commit");
  lg.open--;
  bool last = lg.open == 0;
  if (last)
    lg.committing = true;
  else
    proc_wakeup(&lg);        // our unused room may admit a waiting one
  release(&lg.lock);
  if (!last)
    return;
  commit();
  acquire(&lg.lock);
  lg.committing = false;
  proc_wakeup(&lg);
  release(&lg.lock);
}
