// kernel/format.h: the formatting engine behind printf and snprintf.
//
// vformat() turns a format string and its arguments into characters and
// hands each one to a "sink". printf's sink sends them to the console;
// snprintf's sink stores them in a buffer. Keeping the engine apart from
// the console also lets a host unit test (tests/unit/test_format.c) check
// it against expected strings.
#ifndef KERNEL_FORMAT_H
#define KERNEL_FORMAT_H

#include <stdarg.h>
#include "kernel/types.h"

struct sink {
  void (*put)(struct sink *s, char c);   // called for every character
  char *buf;                             // the sink's own storage, if any
  size_t size;                           //   and its size
  size_t len;                            // characters put so far
};

// Format `fmt` with `ap` into `s`. Returns the number of characters put.
// The conversions are listed in kernel/printf.h.
int vformat(struct sink *s, const char *fmt, va_list ap);

#endif
