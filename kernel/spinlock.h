// kernel/spinlock.h: mutual exclusion between harts.
//
// A spinlock is one word in memory. acquire() swaps 1 into it atomically
// (the A extension's amoswap, through gcc's __atomic builtins) until it
// reads back 0; release() stores 0. The acquire/release orderings keep the
// critical section's loads and stores inside the lock (RISC-V unprivileged
// spec, chapter 17 "RVWMO Memory Consistency Model").
//
// Rules: never sleep or wait for another hart while holding one; take
// several locks always in the same order. The lock records which hart holds
// it, so a hart that takes a lock it already holds panics at once instead
// of spinning forever.
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "kernel/types.h"

struct spinlock {
  uint32_t locked;     // 0 = free, 1 = held; atomic (amoswap, store-release)
  int32_t hart;        // the holder's hart id, -1 when free; written only by
                       // the holder, while it holds the lock
  const char *name;    // for panic messages; set once, read-only after
};

#define SPINLOCK_INIT(n) {.locked = 0, .hart = -1, .name = (n)}

void spinlock_init(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
bool holding(struct spinlock *lk);   // does this hart hold it?

#endif
