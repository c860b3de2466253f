// guest-os/user/ulib.h: what user programs can call.
//
// The system calls (guest-os/user/usys.S, numbers in guest-os/sysnum.h)
// and a few C library functions (guest-os/user/ulib.c). A program
// defines main(argc, argv); returning from it is exit(return value).
#ifndef GUEST_OS_USER_ULIB_H
#define GUEST_OS_USER_ULIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "guest-os/fcntl.h"
#include "guest-os/stat.h"

// System calls. -1 means an error.
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(int *status);         // a child's pid; its exit status in *status
int kill(int pid);
int getpid(void);
void *sbrk(long delta);        // the old break, or (void *)-1
int sleep(long ticks);
long uptime(void);             // ticks since boot (HZ = 100 a second)
long read(int fd, void *buf, long n);
long write(int fd, const void *buf, long n);
int exec(const char *path, char **argv);   // a bare name: /bin/name
int poweroff(int status);
int open(const char *path, int flags);     // O_* of guest-os/fcntl.h
int close(int fd);
int dup(int fd);                           // the lowest free descriptor
int fstat(int fd, struct stat *st);
int mkdir(const char *path);
int unlink(const char *path);              // a file, or an empty directory
int link(const char *old, const char *new);
int chdir(const char *path);
int pipe(int fds[2]);                      // fds[0] reads, fds[1] writes
int trywait(int *status);   // as wait, but 0 at once if no child has exited
long timebase(void);        // rdtime ticks a second

// Microseconds since boot, from the time CSR (rdtime, which the kernel
// lets user mode read): precise where uptime() counts 10 ms ticks.
uint64_t uptime_us(void);

// Ticks per second.
#define HZ 100

// Strings and memory.
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
long atol(const char *s);
// Is s a whole decimal number (an optional '-', then digits, nothing
// else)? 0 and its value in *v; -1 if not (say "12abc" or ""), which
// atol would quietly read as 12 or 0.
int parse_number(const char *s, long *v);
char *strcpy(char *dst, const char *src);
int isspace(int c);
int isdigit(int c);

// Remove every file in the directory `path` (its entries other than "."
// and ".."; an entry that will not go, a non-empty directory, stays).
// Returns how many are left, or -1 if path cannot be read.
int empty_dir(const char *path);

// Memory from the heap (grown with sbrk): NULL when there is no more.
// free(NULL) does nothing.
void *malloc(size_t n);
void free(void *p);

// Formatted output: %d %u %x %p %s %c %%, with l, and a width ("%5d",
// "%08x", "%-8s"). printf writes to fd 1.
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(int fd, const char *fmt, va_list ap);

// Read a line from fd into buf (at most n - 1 bytes and a NUL). The
// length read, 0 at end of file, -1 on error.
long readline(int fd, char *buf, long n);

#endif
