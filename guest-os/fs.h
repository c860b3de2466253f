// guest-os/fs.h: the file system as a whole: mounting it at boot, and
// what its parts share.
//
// The file system is built in layers, each in its own file, each using
// only the ones below it:
//
//   sysfile.c   system calls: open, read, write, mkdir, link, pipe, ...
//   file.c      open files: an offset into an inode, a pipe, the console
//   dir.c       directories and path names
//   inode.c     files: inodes, and their bytes in blocks
//   balloc.c    which blocks are free (the bitmap)
//   log.c       transactions: crash safety
//   bcache.c    the buffer cache: blocks in memory, one lock each
//   virtio_blk.c  the disk
//
// The disk's format is drawn in guest-os/fs_format.h.
#ifndef GUEST_OS_FS_H
#define GUEST_OS_FS_H

#include "guest-os/fs_format.h"
#include "kernel/types.h"

// The superblock of the mounted file system (valid once fs_mounted()).
extern struct fs_super sb;

// Find the file system on the disk and make it ready: read and check the
// superblock, replay the log if the last boot crashed, free the files it
// left unlinked but open. In the first
// process (disk I/O sleeps), before any other file system call. Without
// a disk, or with a disk that holds no file system, it says so and
// there is no file system: fs_mounted() stays false.
void fs_mount(void);

// Is there a file system?
bool fs_mounted(void);

#endif
