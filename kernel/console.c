// kernel/console.c: the console (see kernel/console.h).
#include "kernel/console.h"
#include "kernel/sbi.h"

struct spinlock console_lock = SPINLOCK_INIT("console");

void console_init(void) { sbi_console_init(); }

void console_write(const char *s, size_t n) { sbi_console_write(s, n); }

int console_getc(void) { return sbi_console_getc(); }
