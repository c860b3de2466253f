// guest-os/fs_format.h: the file system as it lies on the disk.
//
// This file is the one description of the format. The kernel includes it;
// the host tool that builds disk images, tools/mkfs.py, reads the numbers
// of its FS_* #defines from it and writes the structures as they are
// drawn here. So a change here is a change to both: keep each number a
// plain literal (the tool parses them) and each drawing true.
//
// The disk is an array of 4 KiB blocks: one block is one page, so a
// cached block is one page of memory (guest-os/bcache.h), and block b is
// the disk's 512-byte sectors 8b to 8b + 7. Every number on the disk is
// little-endian. The blocks, in order:
//
//   0          1          2 ...            inode_start    bitmap_start  data_start   nblocks
//   +----------+----------+--------------+--------------+-------------+-------------+
//   | super-   | log      | log slots    | inode table  | free bitmap | data blocks |
//   | block    | header   | (log_slots)  | (64 a block) | (1 bit a    | (files and  |
//   |          |          |              |              |  block)     | directories)|
//   +----------+----------+--------------+--------------+-------------+-------------+
//
// - The superblock says where each part starts (struct fs_super).
// - The log (guest-os/log.c) makes each change to the file system all or
//   nothing across a crash: a change is written first into the slots,
//   then committed by writing the header, and only then copied to where
//   its blocks belong ("installed"). The header is the commit record.
// - The inode table: one struct fs_inode per file or directory, 64 to a
//   block; inode i is entry i % 64 of block inode_start + i / 64. Inode 0
//   is never used (0 means "no inode" in a directory entry); the root
//   directory is inode FS_ROOT_INUM.
// - The free bitmap: bit b % 8 of byte b / 8 (counting from the first
//   bitmap block) is 1 when block b is in use. The blocks before
//   data_start are marked in use by the tool that made the disk.
// - Data blocks hold file contents, directory entries and indirect blocks.
#ifndef GUEST_OS_FS_FORMAT_H
#define GUEST_OS_FS_FORMAT_H

#include <stdint.h>

#define FS_BLOCK        4096         // bytes in a block: a page
#define FS_SECTORS      8            // 512-byte disk sectors in a block
#define FS_MAGIC        0x73666f67   // "gofs" as little-endian bytes
#define FS_VERSION      1
#define FS_ROOT_INUM    1            // the root directory's inode

// ---- The superblock: the first bytes of block 0 ----
//
//   offset  field          meaning
//    0      magic          FS_MAGIC: this is a guest-os file system
//    4      version        FS_VERSION
//    8      nblocks        blocks in the file system (the disk may be bigger)
//   12      ninodes        entries in the inode table, inode 0 included
//   16      log_start      the log header's block; the slots follow it
//   20      log_slots      how many slots (at most FS_LOG_SLOTS)
//   24      inode_start    first block of the inode table
//   28      bitmap_start   first block of the free bitmap
//   32      data_start     first data block
//   36      (the rest of the block is zero)
struct fs_super {
  uint32_t magic;
  uint32_t version;
  uint32_t nblocks;
  uint32_t ninodes;
  uint32_t log_start;
  uint32_t log_slots;
  uint32_t inode_start;
  uint32_t bitmap_start;
  uint32_t data_start;
};

// ---- The log header (block log_start): the commit record ----
//
//   offset  field          meaning
//    0      count          0: nothing to install. n > 0: a committed
//                          change whose blocks are not all installed:
//                          slot i (block log_start + 1 + i) holds the new
//                          contents of block home[i], for i < n
//    4      seq            which transaction of its boot it was (messages)
//    8      home[0..]      FS_LOG_SLOTS block numbers
//
// The header fits in the first 512-byte sector, and a disk writes a
// sector whole or not at all: so a crash leaves either the old header or
// the new one, never half of each.
#define FS_LOG_SLOTS    96

struct fs_log_header {
  uint32_t count;
  uint32_t seq;
  uint32_t home[FS_LOG_SLOTS];
};

// ---- An inode: 64 bytes, 64 to a block ----
//
//   offset  field          meaning
//    0      type    u16    FS_T_FREE, FS_T_FILE or FS_T_DIR
//    2      nlink   u16    directory entries that name this inode, "."
//                          and ".." included (so a directory has 2 + its
//                          number of subdirectories)
//    4      size    u32    bytes in the file (a directory: 32 per entry)
//    8      direct  u32[12] the blocks that hold file bytes 0 .. 48 KiB
//   56      indirect u32   a block of 1024 block numbers, for the file's
//                          blocks 12 .. 1035 (bytes 48 KiB .. ~4 MiB)
//   60      spare   u32    zero
//
// A block number 0 means "no block yet" (block 0 is the superblock, never
// a file's). Files have no holes: every block below size is allocated.
//
//     fs_inode                         indirect block
//   +------------+                   +---------------+
//   | type nlink |                   | block of 12   |---> data
//   | size       |                   | block of 13   |---> data
//   | direct[0]  |---> data          | ...           |
//   | ...        |                   | block of 1035 |---> data
//   | direct[11] |---> data          +---------------+
//   | indirect   |-----------------------^
//   +------------+
#define FS_T_FREE       0
#define FS_T_FILE       1
#define FS_T_DIR        2

#define FS_NDIRECT      12
#define FS_NINDIRECT    1024         // FS_BLOCK / 4 block numbers
#define FS_MAX_BLOCKS   (FS_NDIRECT + FS_NINDIRECT)   // of one file
#define FS_INODE_SIZE   64
#define FS_INODES_PER_BLOCK (FS_BLOCK / FS_INODE_SIZE)

struct fs_inode {
  uint16_t type;
  uint16_t nlink;
  uint32_t size;
  uint32_t direct[FS_NDIRECT];
  uint32_t indirect;
  uint32_t spare;
};

// ---- A directory entry: 32 bytes, 128 to a block ----
//
//   offset  field          meaning
//    0      inum    u32    the inode it names; 0: an unused entry
//    4      name    28 B   the name, NUL-padded (a 28-byte name has no
//                          NUL); any bytes but '/' and NUL
//
// Every directory starts with "." (itself) and ".." (its parent; the
// root's is itself).
#define FS_NAME_MAX     28
#define FS_DIRENT_SIZE  32

struct fs_dirent {
  uint32_t inum;
  char name[FS_NAME_MAX];
};

// ---- The free bitmap ----
#define FS_BITS_PER_BLOCK (FS_BLOCK * 8)

// The kernel's transactions are sized for at most this many bitmap blocks
// (a file system of up to 1 GiB); the tool makes no bigger one.
#define FS_MAX_BITMAP_BLOCKS 8

_Static_assert(sizeof(struct fs_super) == 36, "superblock layout");
_Static_assert(sizeof(struct fs_log_header) <= 512, "commit record > a sector");
_Static_assert(sizeof(struct fs_inode) == FS_INODE_SIZE, "inode layout");
_Static_assert(sizeof(struct fs_dirent) == FS_DIRENT_SIZE, "dirent layout");
_Static_assert(FS_NINDIRECT * 4 == FS_BLOCK, "indirect block layout");

#endif
