// hyp/vconsole.c: the VMs' console output (see hyp/vconsole.h).
//
// Each VM collects the line it is writing in vm->line. The terminal shows
// complete lines, and at most one unfinished one: that of the VM `shown`
// (always the focused VM), printed after its "[name] " prefix. Everything
// here runs under vconsole_lock, which is taken before console_lock (the
// lock kernel/printf.c holds while it prints), so a sequence written here
// is never split by another hart's printf.
#include "hyp/vconsole.h"
#include "hyp/vm.h"
#include "kernel/console.h"
#include "kernel/string.h"

static struct spinlock vconsole_lock = SPINLOCK_INIT("vconsole");
static struct vm *focus;   // gets the keys; its output is shown at once
static struct vm *shown;   // whose unfinished line is on the terminal now

// Write a string to the console. Caller holds vconsole_lock.
static void put(const char *s, size_t n) {
  acquire(&console_lock);
  console_write(s, n);
  release(&console_lock);
}

// Print "[name] " and the VM's unfinished line: the start of its line.
static void draw(struct vm *vm) {
  put("[", 1);
  put(vm->name, strlen(vm->name));
  put("] ", 2);
  put(vm->line, (size_t)vm->linelen);
}

// End the unfinished line on the terminal, if any, so that a whole line
// can be printed below it; the unfinished line will be drawn again.
static void break_shown(void) {
  if (shown != NULL)
    put("\n", 1);
  shown = NULL;
}

// The VM has ended its line (or filled its buffer): make sure the whole
// line is on the terminal, end it, and show the focused VM's unfinished
// line again below it.
static void end_line(struct vm *vm) {
  if (shown == vm) {
    put("\n", 1);             // its line is on the terminal already
    shown = NULL;
  } else {
    break_shown();
    draw(vm);
    put("\n", 1);
  }
  vm->linelen = 0;
  if (focus != NULL && focus != vm && focus->linelen > 0) {
    draw(focus);
    shown = focus;
  }
}

void vconsole_putc(struct vm *vm, char c) {
  acquire(&vconsole_lock);
  if (c == '\n') {
    end_line(vm);
  } else if (c == '\b') {
    // A backspace (a line editor's echo is "\b \b"): take the last byte
    // off the line, so a redrawn line looks as the terminal does.
    if (vm->linelen > 0)
      vm->linelen--;
    if (shown == vm)
      put("\b", 1);
  } else if (c != '\r') {
    vm->line[vm->linelen++] = c;
    if (vm == focus && shown == vm) {
      put(&c, 1);             // the focused VM's line, as it comes
    } else if (vm == focus) {
      break_shown();
      draw(vm);
      shown = vm;
    }
    if (vm->linelen == (int)sizeof(vm->line) - 1)
      end_line(vm);           // a very long line goes out in pieces
  }
  release(&vconsole_lock);
}

void vconsole_flush(struct vm *vm) {
  acquire(&vconsole_lock);
  if (vm->linelen > 0)
    end_line(vm);
  release(&vconsole_lock);
}

struct vm *vconsole_focus(void) {
  return focus;
}

void vconsole_set_focus(struct vm *vm) {
  static const char msg[] = "console: input goes to ";
  static const char help[] = "; Ctrl-E h for help\n";
  acquire(&vconsole_lock);
  break_shown();
  focus = vm;
  put(msg, sizeof(msg) - 1);
  put(vm->name, strlen(vm->name));
  put(help, sizeof(help) - 1);
  if (vm->linelen > 0) {      // its prompt, say, right away
    draw(vm);
    shown = vm;
  }
  release(&vconsole_lock);
}
