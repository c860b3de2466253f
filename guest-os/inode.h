// guest-os/inode.h: files and directories, as inodes.
//
// An inode on the disk (struct fs_inode, guest-os/fs_format.h) says what
// a file is and which blocks hold its bytes. In memory, a table of NINODE
// struct inodes holds the ones in use: by open files, current
// directories, path lookups in progress. Two counts, not to be confused:
//
//   refs    (in memory) how many kernel pointers to this struct there
//           are: iget/idup add one, iput drops one. At 0 the slot may be
//           reused for another inode.
//   nlink   (on the disk) how many directory entries name the inode. At
//           0 the file has no name; its blocks and inode are freed when
//           the last in-memory reference goes too (iput), so a file
//           unlinked while open stays readable until it is closed.
//
// Locking: iget() returns an inode referenced but not locked, and its
// on-disk fields not read yet. ilock() takes its sleep lock and reads
// them if needed; every use of ip->d happens under that lock. Keeping a
// reference without the lock (an open file, a current directory) keeps
// the inode from being reused, and costs no one anything.
#ifndef GUEST_OS_INODE_H
#define GUEST_OS_INODE_H

#include "guest-os/fs_format.h"
#include "guest-os/sleeplock.h"

struct stat;

struct inode {
  uint32_t inum;             // (table lock) which inode
  int refs;                  // (table lock) see above; 0: a free slot
  struct sleeplock lock;     // guards the two below
  bool valid;                // d has been read from the disk
  struct fs_inode d;         // the on-disk inode, as changed in memory
};

// Set up the table. Once, before the first iget.
void inode_init(void);

// The in-memory inode for inode number inum, referenced, unlocked; NULL
// when the table is full.
struct inode *iget(uint32_t inum);

// One more reference to ip; returns ip.
struct inode *idup(struct inode *ip);

// Lock ip (sleeping while another process holds it), reading it from
// the disk the first time. Panics if the disk says it is free.
void ilock(struct inode *ip);
void iunlock(struct inode *ip);

// Drop a reference. The last reference to an inode no directory names
// frees it (its blocks, then the inode itself), so: in a transaction.
void iput(struct inode *ip);

// iunlock, then iput.
void iunlockput(struct inode *ip);

// A free inode, now of type `type` (FS_T_FILE, FS_T_DIR) with nlink 0
// and no blocks; referenced, unlocked. NULL when all are in use. In a
// transaction.
struct inode *ialloc(uint16_t type);

// Write ip's fields (ip->d) to the disk: after every change to them. In
// a transaction, with ip locked.
void iupdate(struct inode *ip);

// Free all of ip's blocks; its size becomes 0. In a transaction, with
// ip locked.
void itrunc(struct inode *ip);

// Copy n bytes at offset off of ip's contents to dst, a user address of
// the calling process when user is true, else a kernel address. Stops at
// the end of the file. The bytes copied, or -1 (a bad user address).
// ip locked.
int64_t readi(struct inode *ip, bool user, uint64_t dst, uint64_t off,
              uint64_t n);

// Copy n bytes from src (a user or kernel address, as for readi) into
// ip's contents at offset off, growing the file as needed (off may not
// be past the end: files have no holes). Callers keep n within what one
// transaction may change (guest-os/file.c). The bytes written, fewer if
// the disk or the file's largest size was reached; -1 if none could be.
// In a transaction, with ip locked.
int64_t writei(struct inode *ip, bool user, uint64_t src, uint64_t off,
               uint64_t n);

// The disk block that holds block n (bytes n * FS_BLOCK on) of ip's
// contents, 0 if none. ip locked. (For directories, read a block at a
// time.)
uint32_t file_block(struct inode *ip, uint64_t n);

// Fill *st from ip. ip locked.
void istat(struct inode *ip, struct stat *st);

#endif
