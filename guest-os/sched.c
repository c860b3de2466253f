// guest-os/sched.c: the scheduler loop, yielding, sleeping and waking
// (see guest-os/sched.h for the rules).
#include "guest-os/hart.h"
#include "guest-os/proc.h"
#include "guest-os/sched.h"
#include "guest-os/sv39.h"
#include "kernel/panic.h"
#include "kernel/riscv.h"

// Where the round-robin scan starts next: one past the last slot picked,
// shared by all harts, so that every runnable process gets its turn.
static int next_slot;                    // (proc_lock)

// The next runnable process after next_slot for hart `me`, or NULL: one
// that last ran here (or nowhere yet) if there is one, else any. Affinity,
// as IRIX's scheduler had: a process that keeps to one hart keeps its
// cache warm and, on a NUMA machine, its memory on that hart's node
// (Disco 4.2.3's page migration brings it there). Caller holds proc_lock.
static struct proc *pick_next(int me) {
  int other = -1;
  for (int n = 0; n < NPROC; n++) {
    int i = (next_slot + n) % NPROC;
    if (procs[i].state != RUNNABLE)
      continue;
    if (procs[i].last_hart == me || procs[i].last_hart < 0) {
      next_slot = (i + 1) % NPROC;
      return &procs[i];
    }
    if (other < 0)
      other = i;
  }
  if (other < 0)
    return NULL;
  next_slot = (other + 1) % NPROC;
  return &procs[other];
}

// Nothing to run: wait for an interrupt. wfi returns once an interrupt
// enabled in sie is pending, even with sstatus.SIE off (privileged spec
// 4.1.3 and 3.3.3, "Wait for Interrupt"), so nothing slips in between the
// empty scan and the wait. Then let it be taken, through kernel_vector.
// In a Disco-V VM the wfi traps to the monitor, which gives the hart to
// another vCPU until ours has an interrupt (Disco 4.2.1: an idle
// virtual CPU gives its processor away).
static void idle_wait(void) {
  wfi();
  csr_set(sstatus, SSTATUS_SIE);
  csr_clear(sstatus, SSTATUS_SIE);
}

void sched_run(void) {
  for (;;) {
    acquire(&proc_lock);
    struct proc *p = pick_next((int)hart_id());
    if (p == NULL) {
      hart_set_idle(true);
      release(&proc_lock);
      idle_wait();
      hart_set_idle(false);
      continue;
    }
    struct hart *h = this_hart();
    p->state = RUNNING;
    p->last_hart = (int)hart_id();
    h->proc = p;
    h->switches++;
    sv39_switch(p->as.root);
    context_switch(&h->scheduler, &p->context);
    // Back, still holding proc_lock: p yielded, slept or exited. Leave
    // its page table before letting go of the lock, since a parent's
    // wait may free a zombie's memory as soon as it can take the lock.
    sv39_switch(kernel_root);
    h->proc = NULL;
    release(&proc_lock);
  }
}

void sched_give_up(void) {
  struct proc *p = this_proc();
  if (!holding(&proc_lock) || p->state == RUNNING)
    panic("sched_give_up: proc_lock not held, or still running");
  if (*(uint64_t *)p->kstack != KSTACK_CANARY)
    panic("pid %d (%s): kernel stack overflow", p->pid, p->name);
  // this_hart() is re-read on purpose: on return we may be on another.
  context_switch(&p->context, &this_hart()->scheduler);
}

void sched_yield(void) {
  acquire(&proc_lock);
  this_proc()->state = RUNNABLE;
  sched_give_up();
  release(&proc_lock);
}

void sched_make_runnable(struct proc *p) {
  p->state = RUNNABLE;
  harts_kick_idle();
}

void proc_sleep(const void *chan, struct spinlock *lk) {
  struct proc *p = this_proc();
  // Take proc_lock before letting lk go: a waker must hold proc_lock to
  // wake us, so it cannot slip in between our check and our sleep.
  if (lk != &proc_lock) {
    acquire(&proc_lock);
    release(lk);
  }
  p->chan = chan;
  p->state = SLEEPING;
  sched_give_up();
  p->chan = NULL;
  if (lk != &proc_lock) {
    release(&proc_lock);
    acquire(lk);
  }
}

void proc_wakeup_locked(const void *chan) {
  for (int i = 0; i < NPROC; i++)
    if (procs[i].state == SLEEPING && procs[i].chan == chan)
      sched_make_runnable(&procs[i]);
}

void proc_wakeup(const void *chan) {
  acquire(&proc_lock);
  proc_wakeup_locked(chan);
  release(&proc_lock);
}
