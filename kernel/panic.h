// kernel/panic.h: stop everything, saying why and where.
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

// Print "panic: hart N: <message>" and power the machine off with the
// "system failure" reason (SBI SRST), so that QEMU exits and a test or a
// grader sees the message instead of a hang. Never returns.
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

// assert(cond): panic with the file and line when cond is false.
#define assert(cond)                                                     \
  do {                                                                   \
    if (!(cond))                                                         \
      panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);  \
  } while (0)

#endif
