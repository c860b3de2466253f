// guest-os/dir.c: directories and path names (see guest-os/dir.h).
#include "guest-os/bcache.h"
#include "guest-os/dir.h"
#include "guest-os/fs.h"
#include "guest-os/inode.h"
#include "guest-os/proc.h"
#include "kernel/panic.h"
#include "kernel/string.h"

#define ENTRIES_PER_BLOCK (FS_BLOCK / FS_DIRENT_SIZE)

// Does entry de carry the name `name` (a NUL-terminated string of at most
// FS_NAME_MAX bytes)? Entry names are NUL-padded, without a NUL when
// they fill all FS_NAME_MAX bytes.
static bool named(const struct fs_dirent *de, const char *name) {
  return strncmp(de->name, name, FS_NAME_MAX) == 0;
}

// Look through dp's entries in order, a block at a time, for the first
// used one named `name`, or, with name NULL, for the first unused one.
// Its byte offset, with its inode number in *inum; or -1 if none.
static int64_t scan(struct inode *dp, const char *name, uint32_t *inum) {
  for (uint32_t off = 0; off < dp->d.size; off += FS_BLOCK) {
    uint32_t bn = file_block(dp, off / FS_BLOCK);
    if (bn == 0)
      panic("dir: directory %u has no block for byte %u", dp->inum, off);
    struct buf *b = bread(bn);
    const struct fs_dirent *de = (const struct fs_dirent *)b->data;
    // The last block may be partly used: stop at the directory's size.
    uint32_t n = (dp->d.size - off) / FS_DIRENT_SIZE;
    for (uint32_t i = 0; i < n && i < ENTRIES_PER_BLOCK; i++) {
      bool hit = name == NULL ? de[i].inum == 0
                              : de[i].inum != 0 && named(&de[i], name);
      if (hit) {
        *inum = de[i].inum;
        brelse(b);
        return off + i * FS_DIRENT_SIZE;
      }
    }
    brelse(b);
  }
  return -1;
}

struct inode *dir_lookup(struct inode *dp, const char *name, uint32_t *offp) {
  if (dp->d.type != FS_T_DIR)
    panic("dir_lookup: inode %u is not a directory", dp->inum);
  uint32_t inum;
  int64_t off = scan(dp, name, &inum);
  if (off < 0)
    return NULL;
  if (offp != NULL)
    *offp = (uint32_t)off;
  return iget(inum);
}

int dir_add(struct inode *dp, const char *name, uint32_t inum) {
  uint32_t other;
  if (scan(dp, name, &other) >= 0)
    return -1;                                  // the name is taken
  struct fs_dirent de;
  memset(&de, 0, sizeof(de));
  de.inum = inum;
  memcpy(de.name, name, strnlen(name, FS_NAME_MAX));   // NUL-padded
  // Reuse an unused entry, or add one at the end.
  int64_t off = scan(dp, NULL, &other);
  if (off < 0)
    off = dp->d.size;
  if (writei(dp, false, (uint64_t)&de, (uint64_t)off, sizeof(de)) != sizeof(de))
    return -1;
  return 0;
}

void dir_remove(struct inode *dp, uint32_t off) {
  struct fs_dirent de;
  memset(&de, 0, sizeof(de));
  if (writei(dp, false, (uint64_t)&de, off, sizeof(de)) != sizeof(de))
    panic("dir_remove: cannot clear entry %u of directory %u", off, dp->inum);
}

bool dir_is_empty(struct inode *dp) {
  // Entries 0 and 1 are "." and "..".
  for (uint32_t off = 2 * FS_DIRENT_SIZE; off < dp->d.size;
       off += FS_DIRENT_SIZE) {
    struct fs_dirent de;
    if (readi(dp, false, (uint64_t)&de, off, sizeof(de)) != sizeof(de))
      panic("dir_is_empty: cannot read directory %u", dp->inum);
    if (de.inum != 0)
      return false;
  }
  return true;
}

// Copy the next name of *path into name (NUL-terminated) and move *path
// past it and the slashes after it, so that **path is 0 after the last
// name. 1 if there was a name, 0 at the end, -1 if it is too long.
static int next_name(const char **path, char *name) {
  const char *s = *path;
  while (*s == '/')
    s++;
  if (*s == 0)
    return 0;
  const char *start = s;
  while (*s != '/' && *s != 0)
    s++;
  size_t len = (size_t)(s - start);
  if (len > FS_NAME_MAX)
    return -1;
  memcpy(name, start, len);
  name[len] = 0;
  while (*s == '/')
    s++;
  *path = s;
  return 1;
}

// Walk the path from the root or the current directory, a name at a
// time. With parent set, stop one name early: return the directory that
// holds the last name, which is left in name. Each step locks only the
// directory it searches, so two walks never hold two locks and cannot
// deadlock, not even when one goes down where the other goes up ("..").
static struct inode *walk(const char *path, bool parent, char *name) {
  struct proc *p = this_proc();
  if (!fs_mounted() || *path == 0)
    return NULL;
  struct inode *ip = *path == '/' ? iget(FS_ROOT_INUM)
                   : p->cwd != NULL ? idup(p->cwd) : NULL;
  if (ip == NULL)
    return NULL;
  int r;
  while ((r = next_name(&path, name)) > 0) {
    ilock(ip);
    if (ip->d.type != FS_T_DIR) {
      iunlockput(ip);
      return NULL;
    }
    if (parent && *path == 0) {
      iunlock(ip);
      return ip;
    }
    struct inode *next = dir_lookup(ip, name, NULL);
    iunlockput(ip);
    if (next == NULL)
      return NULL;
    ip = next;
  }
  // A name too long, or (parent) a path with no names at all.
  if (r < 0 || parent) {
    iput(ip);
    return NULL;
  }
  return ip;
}

struct inode *path_lookup(const char *path) {
  char name[FS_NAME_MAX + 1];
  return walk(path, false, name);
}

struct inode *path_parent(const char *path, char *name) {
  return walk(path, true, name);
}
