// splashos/main.c: the library OS's boot sequence, on the boot hart.
//
//   splashos/entry.S  ->  splash_main(hartid, dtb)
//                           1. console; the machine from the device tree
//                           2. boot arguments; the application's init
//                           3. start one thread per hart, run, wait
//                           4. check the result, print it, power off
//
// The same steps run on the bare machine and under the monitor: the only
// things splashos asks of its firmware are the SBI calls for the console,
// starting and stopping harts, and powering off (Disco section 4.4).
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "splashos/app.h"
#include "splashos/args.h"
#include "splashos/clock.h"
#include "splashos/heap.h"
#include "splashos/machine.h"
#include "splashos/thread.h"

// The status line comes first, on the console, because after the SBI call
// nothing more can be said (and on OpenSBI 1.1 QEMU's exit status does not
// tell a failure from a plain shutdown).
void splash_exit(int status) {
  printf("splashos: exit %d\n", status);
  sbi_system_reset(SBI_RESET_SHUTDOWN, status == 0 ? SBI_RESET_REASON_NONE
                                                   : SBI_RESET_REASON_FAILURE);
  for (;;)
    wfi();
}

// Read the library OS's own boot arguments and the application's; return
// the thread count, or exit on bad arguments. threads= defaults to every
// hart the machine has.
static int read_args(int *corrupt) {
  if (args_parse(machine.bootargs) < 0)
    splash_exit(EXIT_USAGE);
  long n = arg_long("threads", machine.nharts);
  *corrupt = (int)arg_long("corrupt", 0);
  if (n < 1 || n > machine.nharts) {
    printf("splashos: threads=%ld, but the machine has %d harts\n", n,
           machine.nharts);
    splash_exit(EXIT_USAGE);
  }
  if (threads_init((int)n) < 0)
    splash_exit(EXIT_MACHINE);
  if (app.init((int)n) < 0 || args_check() > 0) {
    printf("splashos: %s takes threads=<1..%d> corrupt=<0|1> %s\n", app.name,
           machine.nharts, app.args);
    splash_exit(EXIT_USAGE);
  }
  return (int)n;
}

// One line per thread: the work it did, where it ran.
static void print_work(int nthreads) {
  for (int t = 0; t < nthreads; t++)
    printf("hart %lu: %ld %s (thread %d, node %d)\n", thread_hart(t),
           work_done(t), app.work_unit, t, thread_node(t));
}

// The boot hart's C entry point (from splashos/entry.S), with the device
// tree's address from the firmware. Never returns: it ends in
// splash_exit().
void splash_main(uint64_t hartid, void *dtb) {
  console_init();
  printf("\nsplashos: %s, boot hart %lu, device tree at %p\n", app.name,
         hartid, dtb);
  if (machine_read(dtb) < 0)
    splash_exit(EXIT_MACHINE);
  heap_init(machine.heap_base, machine.heap_end);
  printf("splashos: machine: harts=%d nodes=%d heap=%luMiB bootargs=\"%s\"\n",
         machine.nharts, machine.nnodes,
         (machine.heap_end - machine.heap_base) / MiB, machine.bootargs);

  int corrupt;
  int nthreads = read_args(&corrupt);
  printf("splashos: threads=%d allocated=%luKiB\n", nthreads,
         heap_used() / KiB);
  if (threads_start(app.run) < 0)
    splash_exit(EXIT_MACHINE);
  uint64_t start = clock_us();
  threads_run();
  printf("splashos: all threads done in %lu us\n", clock_us() - start);
  print_work(nthreads);

  if (corrupt) {
    printf("splashos: corrupt=1: damaging the result on purpose\n");
    app.corrupt();
  }
  struct result r = {0};
  app.check(&r);
  // What was measured, then the one line the tests read (kept short: a
  // console may wrap long lines, and a wrapped line no longer matches).
  printf("%s: %s\n", app.name, r.measure);
  printf("%s: %s threads=%d check=%s checksum=0x%016lx time=%luus\n",
         app.name, r.params, nthreads, r.ok ? "ok" : "FAILED", r.checksum,
         r.time_us);
  splash_exit(r.ok ? EXIT_OK : EXIT_CHECK);
}
