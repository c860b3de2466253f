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

// Write n bytes. The caller holds console_lock: it covers the open line
// below, which every write may take off and put back; holding it across
// several calls also keeps their bytes together (printf does).
void console_write(const char *s, size_t n);

// The open line: one unfinished line kept at the bottom of the terminal,
// below everything else that is printed, the way a shell's prompt and
// what you type after it stay at the bottom while messages scroll past.
// The monitor keeps the focused VM's unfinished line there
// (hyp/dev/vconsole.c). While there is one, console_write first erases it
// (carriage return and ESC [ K, which a terminal and tools/qemurun.py's
// as_terminal_shows understand), writes its bytes, and, once they end a
// line, draws the open line again. A program that never sets one
// (guest-os, splashos) sees plain writes. All three calls need
// console_lock held.
#define CONSOLE_OPEN_MAX 256

// Make s (n bytes, no newline) the open line, and show it.
void console_set_open_line(const char *s, size_t n);
// The open line is finished: it stays on the terminal as a line of its
// own, and there is no open line any more.
void console_close_open_line(void);
// Take the open line off the terminal and forget it.
void console_clear_open_line(void);

// A byte typed on the console, or -1 if none is waiting.
int console_getc(void);

// Covers the console's output and the open line (kernel/console.c). Held
// by printf for the whole of one call, so that lines from different harts
// do not mix. panic() takes it over by force.
extern struct spinlock console_lock;

#endif
