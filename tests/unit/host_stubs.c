// tests/unit/host_stubs.c: host stand-ins for the parts of kernel/ that
// only make sense on the RISC-V machine (panic powers off, spinlocks read
// the hart id from tp). Unit tests link these instead, so that the code
// under test (hyp/mem/memmap.c, say) compiles unchanged.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "tests/unit/host_stubs.h"

char panic_message[256];
jmp_buf panic_jump;
int panic_armed;

void panic(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
  va_end(ap);
  if (panic_armed)
    longjmp(panic_jump, 1);
  printf("unexpected panic: %s\n", panic_message);
  abort();
}

// One thread, so a lock is just a flag; still check the rules, so a test
// notices code that takes a lock twice or releases one it does not hold.
void spinlock_init(struct spinlock *lk, const char *name) {
  lk->locked = 0;
  lk->hart = -1;
  lk->name = name;
}
void acquire(struct spinlock *lk) {
  if (lk->locked)
    panic("acquire: lock '%s' already held", lk->name);
  lk->locked = 1;
  lk->hart = 0;
}
void release(struct spinlock *lk) {
  if (!lk->locked)
    panic("release: lock '%s' not held", lk->name);
  lk->locked = 0;
  lk->hart = -1;
}
bool holding(struct spinlock *lk) { return lk->locked; }
