// guest-os/file.c: open files (see guest-os/file.h).
#include "guest-os/aspace.h"
#include "guest-os/file.h"
#include "guest-os/fs_format.h"
#include "guest-os/inode.h"
#include "guest-os/log.h"
#include "guest-os/param.h"
#include "guest-os/pipe.h"
#include "guest-os/proc.h"
#include "guest-os/stat.h"
#include "guest-os/tty.h"
#include "kernel/panic.h"
#include "kernel/string.h"

// How many bytes one write() puts in each transaction. A transaction may
// change at most TXN_MAX_BLOCKS blocks (guest-os/log.h); writing k blocks'
// worth of bytes at any offset changes at most k + 1 data blocks, the
// indirect block, the inode's block, and bitmap blocks (at most
// FS_MAX_BITMAP_BLOCKS): k + 3 + FS_MAX_BITMAP_BLOCKS <= TXN_MAX_BLOCKS.
#define WRITE_CHUNK ((TXN_MAX_BLOCKS - 3 - FS_MAX_BITMAP_BLOCKS) * FS_BLOCK)
_Static_assert(WRITE_CHUNK >= FS_BLOCK, "a transaction holds no block");

static struct {
  struct spinlock lock;
  struct file files[NFILE];
} open_files = {.lock = SPINLOCK_INIT("files")};

struct file *file_alloc(void) {
  // The first free slot; refs > 0 is what makes it taken.
  acquire(&open_files.lock);
  for (int i = 0; i < NFILE; i++) {
    struct file *f = &open_files.files[i];
    if (f->refs == 0) {
      memset(f, 0, sizeof(*f));
      f->refs = 1;
      release(&open_files.lock);
      return f;
    }
  }
  release(&open_files.lock);
  return NULL;
}

struct file *file_console(void) {
  struct file *f = file_alloc();
  if (f != NULL) {
    f->kind = FILE_CONSOLE;
    f->readable = f->writable = true;
  }
  return f;
}

struct file *file_dup(struct file *f) {
  acquire(&open_files.lock);
  if (f->refs < 1)
    panic("file_dup: a closed file");
  f->refs++;
  release(&open_files.lock);
  return f;
}

void file_close(struct file *f) {
  acquire(&open_files.lock);
  if (f->refs < 1)
    panic("file_close: a closed file");
  if (--f->refs > 0) {
    release(&open_files.lock);
    return;
  }
  // The last one: free the slot now, then let go of what it pointed at
  // (which may sleep) from a copy.
  struct file last = *f;
  f->kind = FILE_NONE;
  release(&open_files.lock);
  if (last.kind == FILE_PIPE) {
    pipe_close(last.pipe, last.writable);
  } else if (last.kind == FILE_INODE) {
    txn_begin();
    iput(last.ip);
    txn_end();
  }
}

int64_t file_read(struct file *f, uint64_t uva, uint64_t n) {
  if (!f->readable)
    return -1;
  switch (f->kind) {
  case FILE_CONSOLE:
    return tty_read(this_proc(), uva, n);
  case FILE_PIPE:
    return pipe_read(f->pipe, uva, n);
  case FILE_INODE: {
    // The inode's lock also guards the offset, so two processes sharing
    // the file each get their own bytes.
    if (!user_range_ok(&this_proc()->as, uva, n, true))
      return -1;
    ilock(f->ip);
    int64_t r = readi(f->ip, true, uva, f->off, n);
    if (r > 0)
      f->off += (uint64_t)r;
    iunlock(f->ip);
    return r;
  }
  default:
    panic("file_read: a file of kind %d", f->kind);
  }
}

// write() to a disk file: WRITE_CHUNK bytes a transaction, so a big write
// is several transactions (each whole after a crash, the write as a
// whole not). Stops early when the disk or the file is full.
static int64_t inode_write(struct file *f, uint64_t uva, uint64_t n) {
  if (!user_range_ok(&this_proc()->as, uva, n, false))
    return -1;
  uint64_t done = 0;
  while (done < n) {
    uint64_t len = n - done < WRITE_CHUNK ? n - done : WRITE_CHUNK;
    txn_begin();
    ilock(f->ip);
    int64_t r = writei(f->ip, true, uva + done, f->off, len);
    if (r > 0)
      f->off += (uint64_t)r;
    iunlock(f->ip);
    txn_end();
    if (r <= 0)
      break;
    done += (uint64_t)r;
    if ((uint64_t)r < len)
      break;
  }
  return done > 0 || n == 0 ? (int64_t)done : -1;
}

int64_t file_write(struct file *f, uint64_t uva, uint64_t n) {
  if (!f->writable)
    return -1;
  switch (f->kind) {
  case FILE_CONSOLE:
    return tty_write(this_proc(), uva, n);
  case FILE_PIPE:
    return pipe_write(f->pipe, uva, n);
  case FILE_INODE:
    return inode_write(f, uva, n);
  default:
    panic("file_write: a file of kind %d", f->kind);
  }
}

int file_stat(struct file *f, uint64_t uva) {
  // Filled in the kernel, then copied out whole: a bad uva fails cleanly.
  struct stat st;
  memset(&st, 0, sizeof(st));
  if (f->kind == FILE_CONSOLE) {
    st.type = STAT_CONSOLE;
  } else if (f->kind == FILE_PIPE) {
    st.type = STAT_PIPE;
    st.size = pipe_buffered(f->pipe);
  } else {
    ilock(f->ip);
    istat(f->ip, &st);
    iunlock(f->ip);
  }
  return copy_to_user(&this_proc()->as, uva, &st, sizeof(st));
}
