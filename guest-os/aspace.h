// guest-os/aspace.h: a process's address space.
//
// The user half of one Sv39 page table (guest-os/memlayout.h draws it):
// the program's pages, a guard page, the stack, and the heap that sbrk
// moves. The kernel half is shared by all (guest-os/sv39.c) and never
// touched here.
//
// The kernel never dereferences a user address. It keeps sstatus.SUM off
// for good, so a kernel load or store to a user page would fault, and
// instead moves bytes with copy_to_user/copy_from_user, which translate
// each user page through the page table by hand (checking V, U and R or
// W as the hardware would for user mode) and copy through the kernel's
// identity map of physical memory. A bad pointer from a system call is
// therefore an error return (-1), never a kernel page fault.
#ifndef GUEST_OS_ASPACE_H
#define GUEST_OS_ASPACE_H

#include "guest-os/sv39.h"

struct aspace {
  pte_t *root;            // the root table; NULL when there is none
  uint64_t heap_base;     // the lowest break: where the heap starts
  uint64_t brk;           // the break: one past the heap's last byte
};

// A new, empty address space: a root table whose kernel half is the
// kernel's. 0, or -1 when out of memory.
int as_create(struct aspace *as);

// Free every page of the user half, its tables and the root. The address
// space must not be in satp on any hart.
void as_destroy(struct aspace *as);

// Map fresh zeroed pages over [va, va + len) (page-aligned, inside the
// user half) with perm (PTE_R/W/X; U is added). 0, or -1 when out of
// memory: pages mapped before that stay, for as_destroy to free.
int as_map_new(struct aspace *as, uint64_t va, uint64_t len, uint64_t perm);

// Make dst (from as_create) a copy of src: the same pages at the same
// addresses with the same permissions and contents, and the same break.
// This is fork's copy. 0, or -1 when out of memory (dst then holds a
// partial copy, for as_destroy).
int as_clone(struct aspace *dst, const struct aspace *src);

// Move the break by delta bytes (sbrk). Growing maps zeroed pages;
// shrinking unmaps and frees them and flushes this hart's TLB, so `as`
// must be the one in satp. Returns the old break, or -1 (nothing changed)
// when out of memory, below heap_base or past USER_TOP.
int64_t as_sbrk(struct aspace *as, int64_t delta);

// Copy n bytes between the kernel and user address `uva`. 0, or -1 if
// any byte of the user range is not mapped for user mode with the needed
// permission (then the copy may have been done in part).
int copy_to_user(struct aspace *as, uint64_t uva, const void *src, uint64_t n);
int copy_from_user(struct aspace *as, void *dst, uint64_t uva, uint64_t n);

// Copy n bytes into user address uva whatever the page's W bit says
// (exec writes a program's code and constants this way). 0, or -1 if
// some page is not mapped for user mode.
int as_write(struct aspace *as, uint64_t uva, const void *src, uint64_t n);

// The kernel address of the page mapped for user mode at uva (a page
// boundary), whatever its permissions; NULL if none is. For exec, which
// has the disk fill whole program pages (guest-os/exec.c).
void *as_page(struct aspace *as, uint64_t uva);

// Copy a NUL-terminated string of at most max bytes (with the NUL) from
// user address uva. Its length, or -1 (bad address, or no NUL in max).
int copy_string_from_user(struct aspace *as, char *dst, uint64_t uva,
                          uint64_t max);

// Could user mode access every byte of [uva, uva + n)? (write: store;
// else load.) For checking a buffer before blocking on it.
bool user_range_ok(struct aspace *as, uint64_t uva, uint64_t n, bool write);

#endif
