// splashos/barrier.c: the sense-reversing barrier (see barrier.h).
#include "kernel/riscv.h"
#include "kernel/sbi.h"
#include "splashos/barrier.h"
#include "splashos/machine.h"

// sie.SSIE on, sstatus.SIE left off: a pending software interrupt then
// ends a wfi (privileged spec 3.3.3: wfi resumes when any interrupt is
// pending and enabled in sie, "regardless of the global interrupt
// enable"), but no trap is ever taken, so we need no trap handler.
void barrier_hart_init(void) { csr_set(sie, 1UL << IRQ_S_SOFT); }

void barrier_init(struct barrier *b, int n) {
  b->count = 0;
  b->sense = 0;
  b->n = (uint32_t)n;
  b->sleepers = 0;
  for (int i = 0; i < MAX_HARTS; i++)
    b->local[i] = 0;
}

// Wait for b->sense to become my_sense: spin, then sleep. The sleeper
// and the waker each write one word and then read the other's, both
// seq_cst, so at least one of them sees the other's write (the pattern of
// Dekker's algorithm): either the sleeper sees the barrier open and does
// not sleep, or the waker sees the sleeper and sends it an IPI. An IPI
// that comes before the wfi is not lost: sip.SSIP stays set, and wfi
// returns at once.
static void wait_open(struct barrier *b, uint32_t my_sense) {
  uint64_t me = 1UL << hart_id();
  uint64_t deadline = rdtime() + BARRIER_SPIN_US * machine.timebase / 1000000;
  while (__atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) != my_sense) {
    if (rdtime() < deadline)
      continue;
    csr_clear(sip, 1UL << IRQ_S_SOFT);        // forget old wake-ups
    __atomic_fetch_or(&b->sleepers, me, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&b->sense, __ATOMIC_SEQ_CST) == my_sense)
      break;
    wfi();
  }
  // We may have left without being woken; a stale bit would only cost
  // some later waker an IPI that nobody needs.
  __atomic_fetch_and(&b->sleepers, ~me, __ATOMIC_RELAXED);
}

void barrier_wait(struct barrier *b, int tid) {
  uint32_t my_sense = !b->local[tid];
  b->local[tid] = (uint8_t)my_sense;
  // acq_rel: our writes before the barrier are published by this add
  // (release), and the last arriver sees everyone's (acquire).
  if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
    // Last one in. Reset the count before opening: once the sense flips,
    // a fast thread may arrive at the next episode at once.
    __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&b->sense, my_sense, __ATOMIC_SEQ_CST);
    uint64_t asleep = __atomic_exchange_n(&b->sleepers, 0, __ATOMIC_SEQ_CST);
    if (asleep)
      sbi_send_ipi(asleep, 0);
  } else {
    wait_open(b, my_sense);
  }
}
