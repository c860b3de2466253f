// guest-os/user/ls.c: ls [PATH...]: list files. For a directory, one
// line per entry; for a file, its own line. With no PATH, ".". A line:
//
//   NAME              TYPE  INUM     SIZE
//
// TYPE is d (a directory), f (a file), c (the console) or p (a pipe);
// INUM the inode number; SIZE in bytes.
//
// A directory is read as a file of 32-byte entries (guest-os/fs_format.h:
// a u32 inode number and a NUL-padded name); inode number 0 is an empty
// slot. Each entry is opened and fstat'ed for its type and size.
#include "guest-os/fs_format.h"
#include "guest-os/user/ulib.h"

#define MAXPATH 128                  // as the kernel's MAX_PATH

// The letter for a stat type.
static char type_letter(int type) {
  switch (type) {
  case STAT_DIR:
    return 'd';
  case STAT_FILE:
    return 'f';
  case STAT_CONSOLE:
    return 'c';
  case STAT_PIPE:
    return 'p';
  default:
    return '?';
  }
}

// Print one line: name, and what st says.
static void print_line(const char *name, const struct stat *st) {
  printf("%-16s %c %5u %8lu\n", name, type_letter(st->type), st->inum,
         (unsigned long)st->size);
}

// Open path and fstat it into st. The descriptor, or -1.
static int open_stat(const char *path, struct stat *st) {
  int fd = open(path, O_RDONLY);
  if (fd >= 0 && fstat(fd, st) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// List the entries of the directory open as fd (named dir). 0, or 1 if
// an entry could not be looked at.
static int list_dir(int fd, const char *dir) {
  struct fs_dirent de;
  char path[MAXPATH];
  int status = 0;
  int len = strlen(dir);
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;                      // an empty slot
    // The name fills all 28 bytes when it is 28 long: no NUL then.
    char name[FS_NAME_MAX + 1];
    memcpy(name, de.name, FS_NAME_MAX);
    name[FS_NAME_MAX] = 0;
    // The entry's path: dir/name (one '/' between them).
    if (len + 1 + strlen(name) + 1 > sizeof(path)) {
      fprintf(2, "ls: %s/%s: path too long\n", dir, name);
      status = 1;
      continue;
    }
    strcpy(path, dir);
    if (len == 0 || dir[len - 1] != '/')
      strcpy(path + len, "/");
    strcpy(path + strlen(path), name);
    struct stat st;
    int efd = open_stat(path, &st);
    if (efd < 0) {
      fprintf(2, "ls: %s: cannot open\n", path);
      status = 1;
      continue;
    }
    close(efd);
    print_line(name, &st);
  }
  return status;
}

// List path: a directory's entries, or a file's own line. 0, or 1.
static int ls(const char *path) {
  struct stat st;
  int fd = open_stat(path, &st);
  if (fd < 0) {
    fprintf(2, "ls: %s: no such file or directory\n", path);
    return 1;
  }
  int status = 0;
  if (st.type == STAT_DIR)
    status = list_dir(fd, path);
  else
    print_line(path, &st);
  close(fd);
  return status;
}

int main(int argc, char **argv) {
  if (argc == 1)
    return ls(".");
  int status = 0;
  for (int i = 1; i < argc; i++)
    status |= ls(argv[i]);
  return status;
}
