// splashos/thread.h: one thread per hart.
//
// SPLASHOS has no processes and no scheduler (Disco section 4.4): a
// program is a fixed set of threads, thread t running on its own hart
// from start to end, all sharing one address space, which here is simply
// physical memory. Thread 0 runs on the boot hart; the others are started
// with SBI HSM hart_start (SBI spec chapter 9). Under the monitor the
// "harts" are virtual CPUs, and nothing here changes.
#ifndef SPLASHOS_THREAD_H
#define SPLASHOS_THREAD_H

#include "kernel/types.h"

// The calling hart's thread id, 0..thread_count()-1.
int thread_id(void);

// How many threads run the program.
int thread_count(void);

// The hart thread t runs on, and that hart's NUMA node.
uint64_t thread_hart(int tid);
int thread_node(int tid);

// Wait until every thread has called barrier() (splashos/barrier.h).
void barrier(void);

// The share of n items that thread tid owns: [*lo, *hi), contiguous
// blocks, the first n % nthreads threads one item larger. This is the
// static partitioning most SPLASH-2 kernels use.
void thread_share(long n, int tid, long *lo, long *hi);

// Count `units` of work for the calling thread (keys sorted, blocks
// updated, tiles rendered); printed per hart after the run.
void work_add(long units);
long work_done(int tid);

// On the boot hart, before the application's init: choose the harts for
// `nthreads` threads, the boot hart first, then the others in the order
// the device tree lists them. From here on thread_count(), thread_share()
// and thread_hart() work. Returns 0, or -1 after saying what is wrong.
int threads_init(int nthreads);

// On the boot hart: start the other threads' harts (SBI HSM hart_start)
// and wait for each to arrive. Each thread will call fn(tid). Returns 0,
// or -1 after saying which hart did not come.
int threads_start(void (*fn)(int tid));

// On the boot hart: run fn(0), then wait until every thread has finished.
// The other harts stop (SBI HSM hart_stop) once they are done.
void threads_run(void);

#endif
