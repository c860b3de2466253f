// guest-os/stat.h: what fstat() says about an open file, shared by the
// kernel (guest-os/file.c) and user programs (guest-os/user/ulib.h).
#ifndef GUEST_OS_STAT_H
#define GUEST_OS_STAT_H

#include <stdint.h>

#define STAT_FILE    1       // a file: the same numbers as the disk's
#define STAT_DIR     2       //   FS_T_FILE and FS_T_DIR
#define STAT_CONSOLE 3       // the console
#define STAT_PIPE    4       // one end of a pipe

struct stat {
  uint32_t inum;             // the inode number (0: not a disk file)
  uint16_t type;             // STAT_*
  uint16_t nlink;            // directory entries naming it
  uint64_t size;             // bytes (a pipe: bytes waiting to be read)
};

#endif
