// guest-os/sysfile.c: the system calls on files, descriptors, directories
// and pipes (numbers in guest-os/sysnum.h; flags in guest-os/fcntl.h).
//
// A descriptor is an index into the process's files[]: 0, 1 and 2 start
// as the console (init gets them from the kernel, everyone else from
// its parent); a new one is the lowest free index. Every call checks its
// arguments before it changes anything, and answers -1 for a bad
// descriptor, a bad pointer, a path that names nothing, or a file system
// that is not there. Calls that change the file system run as one
// transaction each (guest-os/log.h), so each is whole after a crash.
#include "guest-os/aspace.h"
#include "guest-os/dir.h"
#include "guest-os/fcntl.h"
#include "guest-os/file.h"
#include "guest-os/fs.h"
#include "guest-os/inode.h"
#include "guest-os/log.h"
#include "guest-os/param.h"
#include "guest-os/pipe.h"
#include "guest-os/proc.h"
#include "guest-os/syscall.h"
#include "kernel/string.h"

// The open file behind descriptor fd of p, or NULL.
static struct file *fd_file(struct proc *p, uint64_t fd) {
  return fd < NOFILE ? p->files[fd] : NULL;
}

// Give f the lowest free descriptor of p: the descriptor, or -1 if all
// NOFILE are taken (f is then the caller's to close).
static int fd_install(struct proc *p, struct file *f) {
  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->files[fd] == NULL) {
      p->files[fd] = f;
      return fd;
    }
  }
  return -1;
}

// Copy the path at user address uva into buf (MAX_PATH bytes). 0, or -1
// for a bad pointer, a path too long, or no file system to look in.
static int get_path(struct proc *p, uint64_t uva, char *buf) {
  if (!fs_mounted())
    return -1;
  return copy_string_from_user(&p->as, buf, uva, MAX_PATH) < 0 ? -1 : 0;
}

// read(fd, buf, n): up to n bytes from the file into buf; 0 at its end.
int64_t sys_read(struct proc *p) {
  struct file *f = fd_file(p, syscall_arg(p, 0));
  int64_t n = (int64_t)syscall_arg(p, 2);
  if (f == NULL || n < 0)
    return -1;
  if (n == 0)
    return f->readable ? 0 : -1;        // without waiting for input
  return file_read(f, syscall_arg(p, 1), (uint64_t)n);
}

// write(fd, buf, n): n bytes from buf into the file (fewer only when a
// disk file cannot grow further).
int64_t sys_write(struct proc *p) {
  struct file *f = fd_file(p, syscall_arg(p, 0));
  int64_t n = (int64_t)syscall_arg(p, 2);
  if (f == NULL || n < 0)
    return -1;
  if (n == 0)
    return f->writable ? 0 : -1;        // nothing to check, nothing to do
  return file_write(f, syscall_arg(p, 1), (uint64_t)n);
}

// close(fd): the descriptor is free again; the open file goes with its
// last descriptor.
int64_t sys_close(struct proc *p) {
  uint64_t fd = syscall_arg(p, 0);
  struct file *f = fd_file(p, fd);
  if (f == NULL)
    return -1;
  p->files[fd] = NULL;
  file_close(f);
  return 0;
}

// dup(fd): a second descriptor (the lowest free one) for the same open
// file.
int64_t sys_dup(struct proc *p) {
  struct file *f = fd_file(p, syscall_arg(p, 0));
  if (f == NULL)
    return -1;
  int fd = fd_install(p, f);
  if (fd >= 0)
    file_dup(f);
  return fd;
}

// fstat(fd, st): what the open file is (guest-os/stat.h).
int64_t sys_fstat(struct proc *p) {
  struct file *f = fd_file(p, syscall_arg(p, 0));
  if (f == NULL)
    return -1;
  return file_stat(f, syscall_arg(p, 1));
}

// Make a new inode of `type` named by path, and return it locked (and
// referenced). For a file that exists already, with type FS_T_FILE,
// return that one instead (open's O_CREATE). NULL if the parent is
// missing or is being removed, the name is taken otherwise, or the disk
// or the inode table is full. In a transaction.
//
// The new inode's links: a file has one, its entry; a directory three
// counts, its entry and its own "." (so nlink 2) and, in the parent, the
// new directory's ".." (so the parent's nlink goes up by one).
static struct inode *create(const char *path, uint16_t type) {
  char name[FS_NAME_MAX + 1];
  struct inode *dp = path_parent(path, name);
  if (dp == NULL)
    return NULL;
  ilock(dp);
  struct inode *ip = dir_lookup(dp, name, NULL);
  if (ip != NULL) {
    iunlockput(dp);
    ilock(ip);
    if (type == FS_T_FILE && ip->d.type == FS_T_FILE)
      return ip;
    iunlockput(ip);
    return NULL;
  }
  // A directory that was removed (while someone's current directory)
  // takes no new entries.
  if (dp->d.nlink == 0 || (ip = ialloc(type)) == NULL) {
    iunlockput(dp);
    return NULL;
  }
  ilock(ip);
  // Fill the directory first: if the disk is full, undoing is only
  // dropping an inode that no entry names yet (nlink 0: iput frees it).
  bool ok = type != FS_T_DIR || (dir_add(ip, ".", ip->inum) == 0 &&
                                 dir_add(ip, "..", dp->inum) == 0);
  if (!ok || dir_add(dp, name, ip->inum) < 0) {
    iunlockput(ip);
    iunlockput(dp);
    return NULL;
  }
  ip->d.nlink = type == FS_T_DIR ? 2 : 1;
  iupdate(ip);
  if (type == FS_T_DIR) {
    dp->d.nlink++;
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;
}

// open(path, flags): a descriptor for the file at path, opened for what
// flags ask (guest-os/fcntl.h). The whole call is one transaction: with
// O_CREATE and O_TRUNC, the file is made or emptied entirely or not at
// all.
int64_t sys_open(struct proc *p) {
  char path[MAX_PATH];
  uint64_t flags = syscall_arg(p, 1);
  uint64_t mode = flags & O_ACCMODE;
  if (get_path(p, syscall_arg(p, 0), path) < 0 || mode == O_ACCMODE ||
      (flags & ~(uint64_t)(O_ACCMODE | O_CREATE | O_TRUNC)) != 0 ||
      ((flags & O_TRUNC) && mode == O_RDONLY))
    return -1;
  txn_begin();
  // Find the file (or make it), locked.
  struct inode *ip;
  if (flags & O_CREATE) {
    ip = create(path, FS_T_FILE);
  } else if ((ip = path_lookup(path)) != NULL) {
    ilock(ip);
  }
  // A directory may be opened to read (fstat, or a future ls), never to
  // write.
  struct file *f = NULL;
  int fd = -1;
  if (ip != NULL && (ip->d.type != FS_T_DIR || mode == O_RDONLY) &&
      (f = file_alloc()) != NULL && (fd = fd_install(p, f)) < 0) {
    file_close(f);             // still FILE_NONE: only frees the slot
    f = NULL;
  }
  if (f == NULL) {
    if (ip != NULL)
      iunlockput(ip);
    txn_end();
    return -1;
  }
  // Nothing can fail any more: empty it if asked, and fill in the file.
  if ((flags & O_TRUNC) && ip->d.type == FS_T_FILE)
    itrunc(ip);
  f->kind = FILE_INODE;
  f->ip = ip;                  // the file takes over our reference
  f->readable = mode != O_WRONLY;
  f->writable = mode != O_RDONLY;
  iunlock(ip);
  txn_end();
  return fd;
}

// mkdir(path): a new, empty directory (holding "." and "..").
int64_t sys_mkdir(struct proc *p) {
  char path[MAX_PATH];
  if (get_path(p, syscall_arg(p, 0), path) < 0)
    return -1;
  txn_begin();
  struct inode *ip = create(path, FS_T_DIR);
  if (ip != NULL)
    iunlockput(ip);
  txn_end();
  return ip != NULL ? 0 : -1;
}

// unlink's work, in a transaction: remove the entry `path` and its link.
// A directory must be empty; "." and ".." cannot be removed.
static int do_unlink(const char *path) {
  char name[FS_NAME_MAX + 1];
  struct inode *dp = path_parent(path, name);
  if (dp == NULL)
    return -1;
  ilock(dp);
  uint32_t off;
  struct inode *ip = NULL;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
      (ip = dir_lookup(dp, name, &off)) == NULL) {
    iunlockput(dp);
    return -1;
  }
  // Locking the child while holding the parent is safe: the child is
  // never the parent nor above it ("." and ".." were refused).
  ilock(ip);
  bool dir = ip->d.type == FS_T_DIR;
  if (dir && !dir_is_empty(ip)) {
    iunlockput(ip);
    iunlockput(dp);
    return -1;
  }
  dir_remove(dp, off);
  // A directory loses two links (its entry, its ".") and its parent one
  // (its ".."); a file loses its entry's. Its blocks go when the last
  // reference does (iput), which may be a later close.
  if (dir) {
    dp->d.nlink--;
    iupdate(dp);
  }
  ip->d.nlink -= dir ? 2 : 1;
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return 0;
}

// unlink(path): remove a name (see do_unlink).
int64_t sys_unlink(struct proc *p) {
  char path[MAX_PATH];
  if (get_path(p, syscall_arg(p, 0), path) < 0)
    return -1;
  txn_begin();
  int r = do_unlink(path);
  txn_end();
  return r;
}

// link's work, in a transaction: a second name, new, for the file old.
// Not for directories (their links are "." and ".." only, which keeps
// the tree a tree).
static int do_link(const char *old, const char *new) {
  struct inode *ip = path_lookup(old);
  if (ip == NULL)
    return -1;
  ilock(ip);
  if (ip->d.type == FS_T_DIR || ip->d.nlink == UINT16_MAX) {
    iunlockput(ip);
    return -1;
  }
  // Count the link first, and take it back if the entry cannot be made.
  // (One transaction: after a crash, both happened or neither did.)
  ip->d.nlink++;
  iupdate(ip);
  iunlock(ip);
  char name[FS_NAME_MAX + 1];
  struct inode *dp = path_parent(new, name);
  if (dp != NULL) {
    ilock(dp);
    if (dp->d.nlink > 0 && dir_add(dp, name, ip->inum) == 0) {
      iunlockput(dp);
      iput(ip);
      return 0;
    }
    iunlockput(dp);
  }
  ilock(ip);
  ip->d.nlink--;
  iupdate(ip);
  iunlockput(ip);
  return -1;
}

// link(old, new): a second name for a file (see do_link).
int64_t sys_link(struct proc *p) {
  char old[MAX_PATH], new[MAX_PATH];
  if (get_path(p, syscall_arg(p, 0), old) < 0 ||
      get_path(p, syscall_arg(p, 1), new) < 0)
    return -1;
  txn_begin();
  int r = do_link(old, new);
  txn_end();
  return r;
}

// chdir(path): the directory that relative paths start from.
int64_t sys_chdir(struct proc *p) {
  char path[MAX_PATH];
  if (get_path(p, syscall_arg(p, 0), path) < 0)
    return -1;
  txn_begin();
  struct inode *ip = path_lookup(path);
  if (ip == NULL) {
    txn_end();
    return -1;
  }
  ilock(ip);                     // to read its type
  if (ip->d.type != FS_T_DIR) {
    iunlockput(ip);
    txn_end();
    return -1;
  }
  iunlock(ip);
  // The old directory's last reference may go here: in the transaction.
  // The process keeps its reference to the new one (unlocked) for good.
  if (p->cwd != NULL)
    iput(p->cwd);
  p->cwd = ip;
  txn_end();
  return 0;
}

// pipe(fds): a new pipe; fds[0] is its read end, fds[1] its write end.
// All or nothing: on any failure no descriptor is left taken.
int64_t sys_pipe(struct proc *p) {
  uint64_t uva = syscall_arg(p, 0);
  struct file *rf, *wf;
  if (!user_range_ok(&p->as, uva, 2 * sizeof(int), true) ||
      pipe_create(&rf, &wf) < 0)
    return -1;
  int fds[2] = {fd_install(p, rf), -1};
  if (fds[0] >= 0)
    fds[1] = fd_install(p, wf);
  // Out of descriptors, or (cannot happen: checked above) a bad pointer:
  // close both ends, leaving nothing behind.
  if (fds[1] < 0 || copy_to_user(&p->as, uva, fds, sizeof(fds)) < 0) {
    for (int i = 0; i < 2; i++)
      if (fds[i] >= 0)
        p->files[fds[i]] = NULL;
    file_close(rf);
    file_close(wf);
    return -1;
  }
  return 0;
}
