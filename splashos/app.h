// splashos/app.h: what an application gives the library OS, and what it
// gets back.
//
// A splashos image is the library OS plus exactly one application, which
// defines `const struct app app`. The library OS (splashos/main.c) then
// runs it in the SPLASH-2 shape (SPLASH-2 paper, Woo et al., ISCA 1995,
// section 2): one thread sets up and allocates, every thread runs the
// parallel phases, one thread checks the result.
//
//   boot hart:   init(nthreads)     read boot arguments, allocate
//   every hart:  run(tid)           first touch, compute, barriers between
//   boot hart:   corrupt()          only with boot argument corrupt=1
//   boot hart:   check(&result)     verify; fill in the result line
//
// and prints, for the tests to read, e.g.
//   radix: unsorted=0 permutation=yes
//   radix: n=1048576 radix=1024 bits=30 threads=4 check=ok checksum=0x... time=1234us
//   splashos: exit 0
#ifndef SPLASHOS_APP_H
#define SPLASHOS_APP_H

#include "kernel/types.h"

// What check() reports.
struct result {
  bool ok;                 // did the result pass the application's check?
  uint64_t checksum;       // a hash of the result: must not depend on the
                           //   number of threads (splashos/num.h)
  uint64_t time_us;        // the parallel phase, as the application timed it
  char params[96];         // the problem, e.g. "n=262144 radix=1024"
  char measure[96];        // what was checked, e.g. "residual=1.2e-16"
};

struct app {
  const char *name;        // "radix"
  const char *args;        // its boot arguments and defaults, for messages
  const char *work_unit;   // what work_add() counts, e.g. "keys"
  // Read the boot arguments (splashos/args.h) and allocate the shared data
  // (splashos/heap.h) for nthreads threads. The threads are chosen but not
  // yet started: thread_count() and thread_share() already work. Returns
  // 0, or -1 after saying what is wrong with the arguments.
  int (*init)(int nthreads);
  // The parallel program; runs on every thread at once.
  void (*run)(int tid);
  // Damage the result the way a bug might, so that the tests can see that
  // check() notices (boot argument corrupt=1).
  void (*corrupt)(void);
  // Check the result and fill in *r.
  void (*check)(struct result *r);
};

extern const struct app app;

// Print "splashos: exit <status>" and power the machine off through SBI
// SRST (SBI spec chapter 10): a plain shutdown for status 0, "system
// failure" otherwise, which makes QEMU exit non-zero. Any hart may call it.
void splash_exit(int status) __attribute__((noreturn));

// Exit statuses.
#define EXIT_OK       0
#define EXIT_CHECK    1    // the result failed its check
#define EXIT_USAGE    2    // bad boot arguments
#define EXIT_MACHINE  3    // an unusable machine, or a hart did not start

#endif
