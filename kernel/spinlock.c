// kernel/spinlock.c: spinlocks (see kernel/spinlock.h).
#include "kernel/spinlock.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

void spinlock_init(struct spinlock *lk, const char *name) {
  lk->locked = 0;
  lk->hart = -1;
  lk->name = name;
}

// Spin until the lock is ours. __atomic_exchange_n compiles to
// amoswap.w.aq: the swap and the "acquire" ordering in one instruction.
void acquire(struct spinlock *lk) {
  if (holding(lk))
    panic("acquire: lock '%s' already held by this hart", lk->name);
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
    ;
  lk->hart = (int32_t)hart_id();
}

// Give the lock up. The release store makes every write done inside the
// critical section visible before the lock reads as free.
void release(struct spinlock *lk) {
  if (!holding(lk))
    panic("release: lock '%s' not held by this hart", lk->name);
  lk->hart = -1;
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

// Only meaningful for the asking hart's own locks: another hart's answer
// may change at any moment.
bool holding(struct spinlock *lk) {
  return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) != 0 &&
         lk->hart == (int32_t)hart_id();
}
