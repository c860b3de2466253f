// hyp/dev/conskeys.c: console input and the monitor's keys (see hyp/dev/conskeys.h).
//
// The console is the machine's UART, which OpenSBI owns; we read it with
// the SBI console call (legacy console_getchar, or DBCN read), polling:
// the monitor takes no device interrupts of its own.
#include "hyp/dev/conskeys.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/dev/mmio.h"
#include "hyp/cpu/sched.h"
#include "hyp/dev/vconsole.h"
#include "hyp/vm/vm.h"
#include "kernel/console.h"
#include "kernel/printf.h"

static bool escaped;       // the last key was the escape key

static const char *state_name(int s) {
  switch (s) {
  case VM_CREATING: return "starting";
  case VM_RUNNING: return "running";
  case VM_STOPPING: case VM_FINISHING: return "stopping";
  case VM_DONE: return "stopped";
  default: return "free";
  }
}

// The console keys read other VMs' fields: they hold vms_lock meanwhile,
// so that no VM is cleared for a new boot underneath (hyp/vm/vm.h).

static void list_vms(void) {
  printf("console: VMs (* has the input):\n");
  acquire(&vms_lock);
  for (int i = 0; i < MAX_VMS; i++) {
    struct vm *vm = &vms[i];
    if (vm->state == VM_FREE)
      continue;
    uint64_t pages = 0;
    for (int n = 0; n < machine.nnodes; n++)
      pages += vm->pmap.mapped[n];
    printf("  %c %-15s %-8s vcpus=%d home-node=%d pages=%lu\n",
           vm == vconsole_focus() ? '*' : ' ', vm->name, state_name(vm->state),
           vm->nvcpus, vm->home_node, pages);
  }
  release(&vms_lock);
}

static void help(void) {
  printf("console: Ctrl-E then: n next VM, l list VMs, c counters, "
         "m memory, h help, Ctrl-E a Ctrl-E for the VM\n");
}

// A key for the focused VM: into its UART's receive buffer, after the
// keys before it, which may raise its interrupt. The buffer keeps what is
// typed while the guest is not reading (still booting, say) up to
// VUART_RXBUF keys; a key beyond that is dropped, and the console says so
// at the first one, and how many were dropped once the guest reads again.
static void to_vm(char c) {
  struct vm *vm = vconsole_focus();
  if (vm == NULL)
    return;
  acquire(&vms_lock);
  if (vm->state != VM_RUNNING) {   // its devices may be reset meanwhile
    release(&vms_lock);
    return;
  }
  acquire(&vm->dev_lock);
  uint64_t dropped = vm->uart.rx_dropped;
  bool kept = vuart_receive(&vm->uart, (uint8_t)c);
  if (kept)
    vm->uart.rx_dropped = 0;
  mmio_irq_changed(vm);
  release(&vm->dev_lock);
  release(&vms_lock);
  if (!kept && dropped == 0)
    printf("console: %s has %d keys it has not read; keys typed for it are "
           "dropped until it reads\n", vm->name, VUART_RXBUF);
  else if (kept && dropped > 0)
    printf("console: %lu keys for %s were dropped\n", dropped, vm->name);
}

// What the key after Ctrl-E means.
static void command(char c) {
  switch (c) {
  case 'n': vconsole_focus_next(); break;
  case 'l': list_vms(); break;
  case 'c':
    acquire(&vms_lock);
    for (int i = 0; i < MAX_VMS; i++)
      if (vms[i].state != VM_FREE)
        vm_print_counters(&vms[i]);
    release(&vms_lock);
    break;
  case 'm':
    memmap_print();
    vm_print_memory();
    break;
  case CONSKEYS_ESCAPE: to_vm(c); break;
  default: help(); break;
  }
}

void conskeys_init(void) {
  int first = 0;
  while (first < MAX_VMS - 1 && vms[first].state != VM_RUNNING)
    first++;
  vconsole_set_focus(&vms[first]);
}

void conskeys_poll(void) {
  int c;
  while ((c = console_getc()) >= 0) {
    if (escaped) {
      escaped = false;
      command((char)c);
    } else if (c == CONSKEYS_ESCAPE) {
      escaped = true;
    } else {
      to_vm((char)c);
    }
  }
}
