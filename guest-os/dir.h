// guest-os/dir.h: directories and path names.
//
// A directory is an inode of type FS_T_DIR whose contents are an array
// of 32-byte entries (struct fs_dirent, guest-os/fs_format.h): an inode
// number and a name of at most FS_NAME_MAX bytes. An entry with inode 0
// is unused; a new entry takes the first unused one, or goes at the end.
//
// A path is names separated by '/': from the root if it starts with '/',
// else from the process's current directory. Repeated and trailing
// slashes are ignored; "." and ".." are ordinary entries that every
// directory has. A name longer than FS_NAME_MAX makes the lookup fail.
#ifndef GUEST_OS_DIR_H
#define GUEST_OS_DIR_H

#include "guest-os/fs_format.h"
#include "kernel/types.h"

struct inode;

// The inode named `name` in directory dp (locked): referenced, not
// locked; NULL if there is none. If offp is not NULL, *offp is the
// entry's byte offset in dp.
struct inode *dir_lookup(struct inode *dp, const char *name, uint32_t *offp);

// Add the entry (name, inum) to directory dp (locked). 0, or -1 if the
// name is taken or dp cannot grow (disk full). In a transaction.
int dir_add(struct inode *dp, const char *name, uint32_t inum);

// Clear the entry at byte offset off of dp (locked). In a transaction.
void dir_remove(struct inode *dp, uint32_t off);

// Does directory dp (locked) hold nothing but "." and ".."?
bool dir_is_empty(struct inode *dp);

// The inode the path names: referenced, not locked; NULL if there is
// none (or no file system). In a transaction (it may drop the last
// reference to a directory that was removed meanwhile).
struct inode *path_lookup(const char *path);

// The directory that holds the last name of the path, referenced and not
// locked, with that name copied into name (FS_NAME_MAX + 1 bytes); NULL
// if there is none, or the path has no last name ("/"). In a
// transaction.
struct inode *path_parent(const char *path, char *name);

#endif
