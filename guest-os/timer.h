// guest-os/timer.h: the clock: time slices, ticks, sleeping.
//
// Each hart asks for a timer interrupt every 1/HZ second. Time itself is
// the platform's `time` counter (rdtime), the same on every hart, so a
// tick count needs no shared variable: ticks are (now - boot) / interval.
#ifndef GUEST_OS_TIMER_H
#define GUEST_OS_TIMER_H

#include "kernel/types.h"

// Note the boot time and the tick interval. Boot hart, once.
void timer_init(void);

// Start this hart's ticks.
void timer_hart_start(void);

// A tick on this hart: ask for the next one, wake the sleepers.
void timer_interrupt(void);

// Ticks since boot (the uptime system call).
uint64_t timer_ticks(void);

// Sleep for n ticks (the sleep system call). 0, or -1 if the process was
// killed meanwhile.
int timer_sleep(uint64_t n);

// "sstc" or "sbi": how the timer is set, for the boot message.
const char *timer_kind(void);

#endif
