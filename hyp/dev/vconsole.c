// hyp/dev/vconsole.c: the VMs' console output (see hyp/dev/vconsole.h).
//
// Each VM collects the line it is writing in vm->line, its control bytes
// made harmless (hyp/dev/vline.c). A finished line is printed whole,
// "[name] text". The focused VM's unfinished line is
// also kept on the terminal, as the console's open line
// (kernel/console.h): it stays at the bottom, and whatever else is
// printed meanwhile (another VM's line, a message of the monitor) goes
// above it. vconsole_lock keeps the VMs' lines and the focus; it is taken
// before console_lock, never after.
#include "hyp/dev/vconsole.h"
#include "hyp/dev/vline.h"
#include "hyp/vm/vm.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/string.h"

static struct spinlock vconsole_lock = SPINLOCK_INIT("vconsole");
static struct vm *focus;   // gets the keys; its unfinished line is shown

// "[name] " and the VM's line so far into buf (CONSOLE_OPEN_MAX bytes);
// returns the length.
static size_t with_prefix(struct vm *vm, char *buf) {
  int n = snprintf(buf, CONSOLE_OPEN_MAX, "[%s] ", vm->name);
  size_t len = (size_t)n + (size_t)vm->linelen;
  if (len > CONSOLE_OPEN_MAX)
    len = CONSOLE_OPEN_MAX;
  memcpy(buf + n, vm->line, len - (size_t)n);
  return len;
}

// Show the focused VM's unfinished line as the open line (or none).
// Caller holds vconsole_lock and console_lock.
static void update_open_line(void) {
  char buf[CONSOLE_OPEN_MAX];
  if (focus != NULL && focus->linelen > 0)
    console_set_open_line(buf, with_prefix(focus, buf));
  else
    console_clear_open_line();
}

// The VM's line is finished: print it, and start a new one. Caller holds
// vconsole_lock and console_lock.
static void end_line(struct vm *vm) {
  if (vm == focus) {
    // On the terminal already, as the open line: finish it there (an
    // empty line too: the open line is then the prefix alone).
    char buf[CONSOLE_OPEN_MAX];
    console_set_open_line(buf, with_prefix(vm, buf));
    console_close_open_line();
  } else {
    char buf[CONSOLE_OPEN_MAX + 1];
    size_t n = with_prefix(vm, buf);
    buf[n++] = '\n';
    console_write(buf, n);
  }
  vm->linelen = 0;
}

void vconsole_putc(struct vm *vm, char c) {
  acquire(&vconsole_lock);
  acquire(&console_lock);
  // The guest's control bytes never reach the terminal as they are
  // (hyp/dev/vline.h): it cannot erase its prefix or pass for the monitor.
  int max = (int)sizeof(vm->line);
  enum vline_result r = vline_add(vm->line, &vm->linelen, max, (uint8_t)c);
  if (r == VLINE_FULL) {
    end_line(vm);             // a very long line goes out in pieces
    r = vline_add(vm->line, &vm->linelen, max, (uint8_t)c);
  }
  if (r == VLINE_END)
    end_line(vm);
  else if (r == VLINE_CHANGED && vm == focus)
    update_open_line();
  release(&console_lock);
  release(&vconsole_lock);
}

void vconsole_flush(struct vm *vm) {
  acquire(&vconsole_lock);
  acquire(&console_lock);
  if (vm->linelen > 0)
    end_line(vm);
  release(&console_lock);
  release(&vconsole_lock);
}

struct vm *vconsole_focus(void) {
  return focus;
}

void vconsole_focus_next(void) {
  int from = focus != NULL ? (int)(focus - vms) : 0;
  for (int k = 1; k <= MAX_VMS; k++) {
    struct vm *vm = &vms[(from + k) % MAX_VMS];
    if (vm->state == VM_RUNNING) {
      vconsole_set_focus(vm);
      return;
    }
  }
}

void vconsole_set_focus(struct vm *vm) {
  static const char msg[] = "console: input goes to ";
  static const char help[] = "; Ctrl-E h for help\n";
  acquire(&vconsole_lock);
  acquire(&console_lock);
  // The old focus's unfinished line leaves the terminal; it is printed
  // whole when that VM finishes it.
  console_clear_open_line();
  focus = vm;
  console_write(msg, sizeof(msg) - 1);
  console_write(vm->name, strlen(vm->name));
  console_write(help, sizeof(help) - 1);
  update_open_line();         // the new focus's prompt, say, right away
  release(&console_lock);
  release(&vconsole_lock);
}
