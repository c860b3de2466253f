// splashos/barrier.h: a barrier for a fixed number of threads.
//
// SPLASH-2 programs are phases separated by barriers: nobody starts phase
// k+1 until everybody has finished phase k (SPLASH-2 paper, Woo et al.,
// ISCA 1995, section 2: the BARRIER macro of the PARMACS library). This is
// the centralized sense-reversing barrier (Mellor-Crummey and Scott,
// "Algorithms for Scalable Synchronization on Shared-Memory
// Multiprocessors", TOCS 1991, section 3.3): a counter and a shared
// "sense" flag. Each thread flips its own sense on the way in; the last
// one to arrive resets the counter and flips the shared flag, which
// releases the others. Because the sense alternates, the same barrier can
// be used again at once, without a second round to reset it.
//
// Waiting: spin briefly, then sleep. A waiter spins on the flag for
// BARRIER_SPIN_US; if the barrier has not opened by then, it marks itself
// in `sleepers` and executes wfi, and the last arriver wakes every marked
// hart with an inter-processor interrupt (SBI IPI, spec chapter 7). Why
// not spin for ever: when there are more harts than real processors to
// run them (QEMU with 4 harts on a 2-core host, or Disco running several
// virtual CPUs on one hart), a spinning hart burns the time the hart it
// waits for needs. Under Disco, a guest's wfi traps to the monitor, which
// then runs another virtual CPU: idle time is given back, as it should be.
#ifndef SPLASHOS_BARRIER_H
#define SPLASHOS_BARRIER_H

#include "kernel/types.h"
#include "splashos/param.h"

#define BARRIER_SPIN_US 20

struct barrier {
  uint32_t count;              // threads arrived in this episode
  uint32_t sense;              // flips each time the barrier opens
  uint32_t n;                  // threads that must arrive
  uint64_t sleepers;           // bit h: hart h is asleep, or about to be
  uint8_t local[MAX_HARTS];    // each thread's own sense, by thread id
};

// Prepare the calling hart for sleeping in barrier_wait(): let a
// supervisor software interrupt (an IPI) end a wfi. Each hart, once.
void barrier_hart_init(void);

// Make `b` a barrier for n threads. Nobody may be waiting on it.
void barrier_init(struct barrier *b, int n);

// Wait until all n threads have called barrier_wait(b). The caller's
// thread id says which local sense is its own. Every write made before the
// call is visible to every thread after it.
void barrier_wait(struct barrier *b, int tid);

#endif
