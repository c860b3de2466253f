// guest-os/timer.c: the clock (see guest-os/timer.h).
//
// Two ways to ask for a timer interrupt at time t:
//   - with the Sstc extension (the device tree's riscv,isa lists "sstc"),
//     write t to stimecmp: the interrupt is pending while time >= stimecmp
//     (Sstc spec, "stimecmp"); writing a later t clears it;
//   - without it, ask the firmware: SBI TIME set_timer(t) (SBI spec 6.1),
//     which also clears the pending interrupt.
// In a Disco-V VM, the first is the guest's own vstimecmp (the monitor
// sets henvcfg.STCE) and the second an SBI call the monitor answers.
#include "guest-os/disk.h"
#include "guest-os/machine.h"
#include "guest-os/param.h"
#include "guest-os/proc.h"
#include "guest-os/timer.h"
#include "guest-os/uart.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"

static uint64_t interval;      // rdtime counts per tick
static uint64_t boot_time;     // rdtime at boot

// Sleepers in timer_sleep wait on this; every tick on any hart wakes
// them to look at the clock.
static int tick_channel;

void timer_init(void) {
  interval = machine.timebase / HZ;
  boot_time = rdtime();
}

const char *timer_kind(void) { return machine.sstc ? "sstc" : "sbi"; }

// Ask for a timer interrupt at time `when`.
static void timer_set(uint64_t when) {
  if (machine.sstc)
    csr_write_num(CSR_STIMECMP, when);
  else
    sbi_set_timer(when);
}

void timer_hart_start(void) { timer_set(rdtime() + interval); }

void timer_interrupt(void) {
  timer_set(rdtime() + interval);
  // Without a PLIC (a machine with AIA's APLIC instead) the UART raises
  // no interrupt we can take, so look at it on every tick instead.
  if (machine.uart_plic < 0)
    uart_interrupt();
  disk_tick();
  proc_wakeup(&tick_channel);
}

uint64_t timer_ticks(void) { return (rdtime() - boot_time) / interval; }

int timer_sleep(uint64_t n) {
  struct proc *p = this_proc();
  uint64_t until = timer_ticks() + n;
  acquire(&proc_lock);
  while (timer_ticks() < until) {
    if (p->killed) {
      release(&proc_lock);
      return -1;
    }
    proc_sleep(&tick_channel, &proc_lock);
  }
  release(&proc_lock);
  return 0;
}
