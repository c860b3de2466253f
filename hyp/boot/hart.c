// hyp/boot/hart.c: per-hart state and the start of the secondary harts.
//
// OpenSBI starts only one hart (the boot hart) in our code (nearly always:
// see kernel/entry.S for the second one it sometimes sends); every other
// hart waits in the firmware, in state STOPPED, until someone asks for it
// with HSM hart_start (SBI spec, chapter 9 "Hart State Management"). The
// started hart enters hyp/boot/entry.S at _secondary_entry with a0 = its id.
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/cpu/sched.h"
#include "hyp/cpu/trap.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"

struct hart harts[MAX_HARTS];

// Set once by the boot hart once harts[] is filled in (a fence before the
// store, another after the load). A hart that the firmware let in early
// (see kernel/entry.S) waits for it before it reads harts[].
static volatile bool harts_ready;

// Set once by harts_release() on the boot hart, after a fence: the VMs
// exist, the scheduler may start.
static volatile bool harts_go;

void harts_release(void) {
  fence();
  harts_go = true;
}

extern char _secondary_entry[];

int harts_start(void) {
  uint64_t self = hart_id();
  for (int i = 0; i < machine.nharts; i++)
    harts[machine.harts[i].id].node = machine.harts[i].node;
  harts[self].up = true;
  fence();
  harts_ready = true;

  for (int i = 0; i < machine.nharts; i++) {
    uint64_t id = machine.harts[i].id;
    if (id == self)
      continue;
    struct sbiret r = sbi_hart_start(id, (uint64_t)_secondary_entry, 0);
    // "Already started" is no error here: the firmware let that hart into
    // _entry by itself, and kernel/entry.S sent it on as a secondary hart.
    if (r.error != SBI_SUCCESS && r.error != SBI_ERR_ALREADY_AVAILABLE &&
        r.error != SBI_ERR_ALREADY_STARTED)
      printf("hart %lu: hart_start failed: %s\n", id, sbi_strerror(r.error));
  }

  // Wait for the started harts to set harts[id].up, but not forever: a
  // hart that never comes is reported, not waited on. They take
  // microseconds, but QEMU runs each hart as a host thread, and on a
  // busy host with fewer cores than harts a thread can wait a second or
  // more for a core (the platform timer follows the host's clock): so
  // five seconds.
  uint64_t deadline = rdtime() + 5 * machine.timebase;
  int up;
  for (;;) {
    up = 0;
    for (int i = 0; i < machine.nharts; i++)
      up += harts[machine.harts[i].id].up;
    if (up == machine.nharts || rdtime() > deadline)
      break;
  }
  for (int i = 0; i < machine.nharts; i++)
    if (!harts[machine.harts[i].id].up)
      printf("hart %lu: did not report in\n", machine.harts[i].id);
  return up;
}

// The first C code a secondary hart runs (called from hyp/boot/entry.S).
// It checks that it, too, has the H-extension, reports in and waits.
void hyp_secondary(uint64_t hartid) {
  while (!harts_ready)
    ;
  fence();
  trap_init();
  if (!trap_probe_h_extension()) {
    printf("hart %lu: no H-extension; staying out\n", hartid);
  } else {
    printf("hart %lu: up, node %d\n", hartid, harts[hartid].node);
    fence();            // our printf is done before "up" becomes visible
    harts[hartid].up = true;
  }
  // Wait for the boot hart to create the VMs, then schedule vCPUs. If
  // there are none, the boot hart powers off and we never get past here.
  while (!harts_go)
    ;
  fence();
  sched_hart_init();
  sched_run();
}

void hart_set_timer(uint64_t when) {
  if (machine.has_sstc)
    csr_write_num(CSR_STIMECMP, when);
  else
    sbi_set_timer(when);
}
