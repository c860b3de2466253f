// hyp/dev/vconsole.h: the one console, shared by every VM.
//
// The machine has one console; every VM has its own virtual UART (and the
// SBI console calls). What VMs write is printed with the VM's name in
// front, a line at a time ("[os0] hello"), so that the lines of VMs that
// print at once do not mix. One VM at a time has the focus: it gets the
// keys typed on the console (hyp/dev/conskeys.c), and its unfinished line is
// shown as it grows, at the bottom of the terminal, so that a prompt
// ("$ ") and the echo of what you type appear before the Enter key.
// Lines printed meanwhile by other VMs or by the monitor go above it
// (kernel/console.h: the open line).
#ifndef HYP_VCONSOLE_H
#define HYP_VCONSOLE_H

struct vm;

// A byte the guest wrote to its console (UART or SBI).
void vconsole_putc(struct vm *vm, char c);

// Print what is left of the VM's last line (when it stops).
void vconsole_flush(struct vm *vm);

// The VM that has the focus (NULL before any VM exists), and how to give
// the focus to another: says so on the console, then shows that VM's
// unfinished line (its prompt, say).
struct vm *vconsole_focus(void);
void vconsole_set_focus(struct vm *vm);

// Give the focus to the next running VM after the focused one (Ctrl-E n;
// and when the focused VM stops). Nothing changes if no other VM runs.
void vconsole_focus_next(void);

#endif
