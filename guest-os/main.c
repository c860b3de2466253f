// guest-os/main.c: the boot, from the first C function to the scheduler.
//
// The boot hart (whichever one the firmware picked) enters boot_main from
// guest-os/entry.S; every other hart enters secondary_main once the boot
// hart has started it with SBI HSM. In order:
//
//   boot hart                              other harts
//   1. read the device tree
//   2. free pages; the kernel page table
//   3. paging on; trap vector
//   4. console (UART, PLIC); clock; disk
//   5. the first process, which mounts
//      the file system and runs init
//   6. start the other harts        --->   paging on; trap vector
//   7. scheduler                           scheduler
//
// The same steps run on the bare machine and in a Disco-V VM: nothing
// here asks which.
#include "guest-os/disk.h"
#include "guest-os/hart.h"
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "guest-os/plic.h"
#include "guest-os/proc.h"
#include "guest-os/sv39.h"
#include "guest-os/timer.h"
#include "guest-os/trap.h"
#include "guest-os/uart.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/sbi.h"

// Set once the boot hart has built everything the other harts share. A
// hart that the firmware let into _entry early waits here for it.
static volatile bool kernel_ready;

// What every hart does to join in: the kernel's page table, the trap
// vector, its device interrupts, the clock; then schedule forever.
static void hart_join(void) __attribute__((noreturn));
static void hart_join(void) {
  sv39_switch(kernel_root);
  trap_hart_init();
  plic_hart_init();
  timer_hart_start();
  printf("guest-os: hart %lu joined\n", hart_id());
  sched_run();
}

// Console, interrupts, clock and disk: the devices, set up once.
static void devices_init(void) {
  uart_init();
  if (machine.uart_plic >= 0)
    plic_attach(machine.uart_plic, machine.uart_irq, uart_interrupt);
  timer_init();
  disk_init();
}

void boot_main(uint64_t hartid, const void *dtb) {
  console_init();
  printf("guest-os: booting on hart %lu\n", hartid);
  if (machine_read(dtb) < 0) {
    sbi_system_reset(SBI_RESET_SHUTDOWN, SBI_RESET_REASON_FAILURE);
  }
  page_init();
  sv39_kernel_init();
  devices_init();
  printf("guest-os: %d harts, %lu MiB free, timer %s, console %s, "
         "monitor calls %s, bootargs \"%s\"\n",
         machine.nharts, page_free_count() * PAGE_SIZE / MiB, timer_kind(),
         machine.uart_plic >= 0 ? "interrupts" : "polled",
         page_monitor_calls() ? "on" : "off", machine.bootargs);
  proc_start_init(machine.bootargs);

  __atomic_store_n(&kernel_ready, true, __ATOMIC_RELEASE);
  harts_start_others();
  hart_join();
}

void secondary_main(uint64_t hartid) {
  while (!__atomic_load_n(&kernel_ready, __ATOMIC_ACQUIRE))
    ;
  hart_join();
}
