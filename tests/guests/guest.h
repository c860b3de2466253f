// tests/guests/guest.h: the little runtime of the test guests.
//
// Test guests are small S-mode kernels written to exercise one part of the
// monitor each (SBI calls, interrupts, memory, misbehaviour). Each prints
// what it checks, one line per check, and powers its VM off through SBI
// SRST; tests/system/test_vm.py reads the lines.
#ifndef TESTS_GUEST_H
#define TESTS_GUEST_H

#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "kernel/types.h"

// Each guest defines these two. guest_main runs on the boot vCPU;
// guest_hart on vCPUs started with start_hart().
void guest_main(uint64_t hartid, const void *dtb);
void guest_hart(uint64_t hartid, uint64_t opaque);

// Start vCPU `hart` at guest_hart(hart, opaque). Returns the SBI error.
long start_hart(uint64_t hart, uint64_t opaque);

// The S-mode external interrupt handler (weak default in rt.c).
void guest_external_irq(void);

// An exception the guest itself takes (delegated to it): return true,
// with *sepc moved to where to go on, if it was expected (weak default in
// rt.c: none is).
bool guest_exception(uint64_t scause, uint64_t *sepc, uint64_t stval);

// Counts of interrupts taken, per hart, and the last trap cause.
extern volatile uint64_t timer_irqs[8], soft_irqs[8];

// Interrupts on/off for this hart (sstatus.SIE and the enables in sie).
void irqs_on(void);
void irqs_off(void);

// One check: print "check <name>: ok" or "check <name>: FAILED (...)".
void check(const char *name, bool ok, long got);
// The number of failed checks so far.
extern int checks_failed;

// The device tree the guest was started with (a1 at boot).
extern const void *guest_dtb;

// Boot arguments: the words of /chosen/bootargs. bootarg_has: is `word`
// one of them, alone or as "word=..."? bootarg_num: the number after
// "key=" (decimal, or hex with 0x), or dflt when there is none.
// bootarg_str: the text after "key=" up to the next space into buf (n
// bytes, NUL-terminated); false, and buf untouched, when there is none.
bool bootarg_has(const char *word);
uint64_t bootarg_num(const char *key, uint64_t dflt);
bool bootarg_str(const char *key, char *buf, int n);

// Power the VM off: SRST shutdown, reason "none" when every check passed,
// "system failure" otherwise. Prints "<who>: done, N failed" first.
void finish(const char *who) __attribute__((noreturn));

#endif
