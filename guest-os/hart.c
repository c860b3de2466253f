// guest-os/hart.c: per-hart state, starting harts, waking idle ones.
#include "guest-os/hart.h"
#include "guest-os/machine.h"
#include "kernel/printf.h"
#include "kernel/sbi.h"

struct hart harts[MAX_HARTS];

// Bit h set: hart h is in its idle wait (guest-os/sched.c).
static uint64_t idle_harts;

extern char _secondary_entry[];

void harts_start_others(void) {
  for (int i = 0; i < machine.nharts; i++) {
    uint64_t id = machine.hart_ids[i];
    if (id == hart_id())
      continue;
    // The hart starts at _secondary_entry with the MMU off, a0 = its id
    // (SBI spec 9.1, "HART start"), so the address is the physical one,
    // which identity mapping makes the same as ours.
    struct sbiret r = sbi_hart_start(id, (uint64_t)_secondary_entry, 0);
    // "Already started" is no error: the firmware let that hart into
    // _entry by itself, and guest-os/entry.S sent it on as a secondary.
    if (r.error != SBI_SUCCESS && r.error != SBI_ERR_ALREADY_AVAILABLE &&
        r.error != SBI_ERR_ALREADY_STARTED)
      printf("guest-os: hart %lu did not start: %s\n", id,
             sbi_strerror(r.error));
  }
}

void hart_set_idle(bool idle) {
  uint64_t bit = 1UL << hart_id();
  if (idle)
    __atomic_fetch_or(&idle_harts, bit, __ATOMIC_SEQ_CST);
  else
    __atomic_fetch_and(&idle_harts, ~bit, __ATOMIC_SEQ_CST);
}

void harts_kick_idle(void) {
  uint64_t idle = __atomic_load_n(&idle_harts, __ATOMIC_SEQ_CST);
  // An idle hart that makes a process runnable (from an interrupt in its
  // idle wait: a disk or console wakeup) looks for work itself as soon as
  // the handler returns: no other hart need wake up for it. In a VM each
  // needless kick costs an SBI call and a wakeup of a descheduled vCPU.
  if (idle & (1UL << hart_id()))
    return;
  if (idle == 0)
    return;
  // One hart is enough for one process: the lowest idle one. The IPI
  // sets its sip.SSIP (SBI spec 7.1), which ends its wfi.
  int h = 0;
  while (!(idle & (1UL << h)))
    h++;
  sbi_send_ipi(1UL << h, 0);
}

void harts_print_switches(void) {
  char line[256];
  size_t n = (size_t)snprintf(line, sizeof(line), "guest-os: switches");
  for (int i = 0; i < machine.nharts && n < sizeof(line); i++) {
    uint32_t id = machine.hart_ids[i];
    n += (size_t)snprintf(line + n, sizeof(line) - n, " hart%u=%lu", id,
                          harts[id].switches);
  }
  printf("%s\n", line);
}
