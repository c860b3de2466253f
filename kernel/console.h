// kernel/console.h: the console, through the SBI debug console.
//
// Early and simple: every byte goes out through the firmware (SBI DBCN, or
// the legacy putchar on OpenSBI 1.1). A program that wants an interrupt-
// driven UART (guest-os does) writes its own driver; the monitor and
// splashos are content with this one.
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

// Probe the firmware's console once (call it first thing on the boot hart).
void console_init(void);

// Write n bytes. The caller holds console_lock when the bytes must stay
// together (printf does); a single console_write is not split by itself.
void console_write(const char *s, size_t n);

// A byte typed on the console, or -1 if none is waiting.
int console_getc(void);

// Held by printf for the whole of one call, so that lines from different
// harts do not mix. panic() takes it over by force.
extern struct spinlock console_lock;

#endif
