// tests/unit/host_stubs.h: what a unit test needs to know about the
// stand-ins in host_stubs.c.
#ifndef TESTS_HOST_STUBS_H
#define TESTS_HOST_STUBS_H

#include <setjmp.h>

// panic() in a host test does not power anything off: it saves its message
// in panic_message and, if a test armed panic_jump (with PANIC_EXPECTED),
// jumps back there; otherwise it prints the message and aborts the test.
extern char panic_message[256];
extern jmp_buf panic_jump;
extern int panic_armed;

// Run `stmt`; evaluate to 1 if it panicked, 0 if it returned normally.
// (C allows setjmp only as the whole condition of an if, hence the
// statement expression.)
#define PANICS(stmt)                         \
  ({                                         \
    volatile int panicked_ = 1;              \
    panic_armed = 1;                         \
    panic_message[0] = 0;                    \
    if (setjmp(panic_jump) == 0) {           \
      stmt;                                  \
      panicked_ = 0;                         \
    }                                        \
    panic_armed = 0;                         \
    panicked_;                               \
  })

#endif
