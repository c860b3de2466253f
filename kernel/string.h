// kernel/string.h: memory and string functions.
//
// They have the C library's names and contracts (C11 7.24), so a reader
// knows them already, and so the host unit tests can link the same code
// against the host's C library instead of kernel/string.c.
// Note: gcc may emit calls to memcpy/memset/memmove/memcmp by itself (for
// struct copies and large initialisers) even in freestanding code, which is
// another reason these four must exist with exactly these names.
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include "kernel/types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
