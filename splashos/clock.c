// splashos/clock.c: rdtime in microseconds (see splashos/clock.h).
#include "kernel/riscv.h"
#include "splashos/clock.h"
#include "splashos/machine.h"

uint64_t clock_us(void) {
  uint64_t t = rdtime(), tb = machine.timebase;
  // Whole seconds and the rest apart, so that t * 1000000 cannot overflow.
  return t / tb * 1000000 + t % tb * 1000000 / tb;
}
