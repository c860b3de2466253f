// kernel/panic.c: panic() (see kernel/panic.h).
#include <stdarg.h>
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"

// Set by the first hart to panic (an atomic exchange, so exactly one hart
// wins); a second panic (on another hart, or from inside the first one's
// printing) must not start a second report.
static int panicking;

void panic(const char *fmt, ...) {
  // Interrupts off: nothing may run on this hart from now on.
  csr_clear(sstatus, SSTATUS_SIE);
  if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL) != 0) {
    for (;;)
      wfi();
  }

  // The console lock may be held, perhaps by this very hart in the middle
  // of a printf. Take it over: a garbled line beats a hang.
  console_lock.locked = 0;
  console_lock.hart = -1;

  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  printf("\npanic: hart %lu: %s%s\n", hart_id(), msg,
         n >= (int)sizeof(msg) ? "..." : "");
  sbi_system_reset(SBI_RESET_SHUTDOWN, SBI_RESET_REASON_FAILURE);
  for (;;)
    wfi();
}
