// kernel/printf.h: formatted output.
//
// The conversions a monitor needs, and no more:
//   %d %i %u %x %X %c %s %p %%     with the l and ll length modifiers
//   a width ("%8d"), zero padding ("%016lx") and left-justify ("%-10s").
// Anything else is printed as written, so a typo shows up in the output
// instead of eating an argument silently.
#ifndef KERNEL_PRINTF_H
#define KERNEL_PRINTF_H

#include <stdarg.h>
#include "kernel/types.h"

// Write to the console. One call's output is never interleaved with
// another hart's (the console lock is held for the whole call).
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

// Write into buf, at most size-1 characters plus a NUL. Returns the
// length the whole output would have had (as C's snprintf does), so
// "return value >= size" means it was cut short.
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
