// hyp/cpu/sched.c: the scheduler (see hyp/cpu/sched.h).
//
// Each hart has a run queue of RUNNABLE vCPUs. A vCPU belongs to a hart on
// its VM's home node (a spanning VM's vCPUs, over the nodes its memory
// spans; init_vcpus in hyp/vm/vm.c spreads them), so its memory is local
// (Disco 4.2.3: keep a virtual CPU near its memory). A hart runs the vCPU
// at the head of its queue for a time slice; when the slice ends (the
// monitor's own timer interrupt) the vCPU goes to the back of the queue.
// A hart with an empty queue first takes a RUNNABLE vCPU from another
// hart's queue, nearest node first, and the vCPU belongs to that hart from
// then on; if there is none it sleeps in WFI until a timer or an IPI wakes
// it. A vCPU that has to wait in line wakes the nearest idle hart, so that
// a hart with nothing to do hears of it.
//
// Load balancing across nodes, for a VM with a NUMA policy (lab 4): its
// vCPUs keep to their node, where the policy brings their pages, as long
// as that node has time for them. One that has waited in line behind
// others for REBALANCE_SLICES slices in all, since it last found its queue
// empty or went idle by itself, has an overloaded node: then an idle hart
// of another node may take it (may_cross_at, rq_take_for). From there its
// hinting faults come from its new node, so the policy moves its hot
// pages after it (Disco 4.2.3: a page moves to the node that uses it):
// the memory follows the vCPU, as Linux's NUMA balancing makes memory
// follow a task that its scheduler moved. The VM's counters count these
// moves (vcpu-moves). A vCPU of any other VM may go to any hart that has
// nothing to run.
//
// Locks: sched_lock covers the run queues, the harts' idle flags and every
// vCPU's scheduling fields (state, hart, queued_at, waited); a move is
// only a new v->hart, under it. The pages follow later, in the vCPU's own
// hinting faults on its new hart, under its pmap's locks: the scheduler
// never touches a pmap (it only reads numa.on, fixed while the VM runs,
// and adds to the vcpu_moves counter atomically, as numa.h's are).
//
// A guest's WFI traps (hstatus.VTW) and its vCPU becomes IDLE: it costs no
// hart time until it has an interrupt to take (Disco 4.2.1: an idle
// virtual CPU is descheduled). When no one else waits for a hart, the WFI
// is waited out on the vCPU's own hart instead (sched_wait_here): the
// same sleep, without putting the vCPU away and loading it again.
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/cpu/sched.h"
#include "hyp/dev/conskeys.h"
#include "hyp/dev/diskq.h"
#include "hyp/mem/memmap.h"
#include "hyp/vm/vm.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"

struct spinlock sched_lock = SPINLOCK_INIT("sched");

// The slice: 10 ms of the platform timer.
static uint64_t slice_ticks(void) { return machine.timebase / 100; }

// How long a vCPU of a VM with a NUMA policy waits in line, in slices,
// before a hart of another node may take it. Two busy vCPUs that share a
// hart each wait one slice in two, so one of them may cross after about
// six slices; a vCPU that goes idle (guest WFI) starts counting again.
#define REBALANCE_SLICES 3
static uint64_t rebalance_ticks(void) { return REBALANCE_SLICES * slice_ticks(); }

// Exceptions the guest handles itself (hedeleg, privileged spec 8.2.2):
// its own page faults, breakpoints, misaligned accesses, illegal
// instructions and its user programs' ecalls. Ecalls from VS-mode (SBI
// calls) and guest-page faults stay with the monitor.
#define HEDELEG_GUEST ((1UL << EXC_INST_MISALIGNED) | (1UL << EXC_ILLEGAL_INST) | \
  (1UL << EXC_BREAKPOINT) | (1UL << EXC_LOAD_MISALIGNED) |                     \
  (1UL << EXC_STORE_MISALIGNED) | (1UL << EXC_ECALL_U) |                       \
  (1UL << EXC_INST_PAGE_FAULT) | (1UL << EXC_LOAD_PAGE_FAULT) |                \
  (1UL << EXC_STORE_PAGE_FAULT))
// And the VS-level interrupts go straight to the guest (hideleg).
#define HIDELEG_GUEST ((1UL << IRQ_VS_SOFT) | (1UL << IRQ_VS_TIMER) | \
  (1UL << IRQ_VS_EXT))

void sched_hart_init(void) {
  csr_write_num(CSR_HEDELEG, HEDELEG_GUEST);
  csr_write_num(CSR_HIDELEG, HIDELEG_GUEST);
  // Let the guest read time, cycle and instret (hcounteren, spec 8.2.6).
  csr_write_num(CSR_HCOUNTEREN, ~0UL);
  // Sstc: the guest's stimecmp is its own vstimecmp (henvcfg.STCE, bit 63).
  if (machine.has_sstc)
    csr_write_num(CSR_HENVCFG, HENVCFG_STCE);
  // The monitor never takes interrupts while it runs itself (sstatus.SIE
  // stays 0); they are taken when they arrive while a guest runs, and WFI
  // in the idle loop wakes on them. These enables say which ones.
  csr_set(sie, (1UL << IRQ_S_TIMER) | (1UL << IRQ_S_SOFT));
}

// ---- Run queues (caller holds sched_lock) ----
// A vCPU in a queue has waited there since v->queued_at; taken off, that
// wait joins v->waited, its wait since it last found its queue empty
// (make_runnable) or went idle by itself (after_run), which says whether a
// hart of another node may take it.

static void rq_push(int hart, struct vcpu *v) {
  struct hart *h = &harts[hart];
  v->queued_at = rdtime();
  v->rq_next = NULL;
  if (h->rq_tail != NULL)
    h->rq_tail->rq_next = v;
  else
    h->rq_head = v;
  h->rq_tail = v;
}

static struct vcpu *rq_pop(int hart) {
  struct hart *h = &harts[hart];
  struct vcpu *v = h->rq_head;
  if (v != NULL) {
    h->rq_head = v->rq_next;
    if (h->rq_head == NULL)
      h->rq_tail = NULL;
    v->rq_next = NULL;
    v->waited += rdtime() - v->queued_at;
  }
  return v;
}

// Take every vCPU of vm off every run queue (the VM has stopped; a reboot
// will reuse its vCPU structures, which must not stay linked anywhere).
// Caller holds sched_lock.
static void rq_remove_vm(struct vm *vm) {
  for (int i = 0; i < machine.nharts; i++) {
    struct hart *h = &harts[machine.harts[i].id];
    struct vcpu *keep = NULL, *tail = NULL;
    for (struct vcpu *v = h->rq_head, *next; v != NULL; v = next) {
      next = v->rq_next;
      v->rq_next = NULL;
      if (v->vm == vm)
        continue;
      if (tail != NULL)
        tail->rq_next = v;
      else
        keep = v;
      tail = v;
    }
    h->rq_head = keep;
    h->rq_tail = tail;
  }
}

// Send a software interrupt to another hart (SBI IPI): out of its WFI, it
// looks at the run queues again; out of its guest, it takes its vCPU's new
// interrupts on the way back in (vcpu_run), or leaves if the VM stopped.
static void kick_hart(int hart) {
  if (hart != (int)hart_id())
    sbi_send_ipi(1UL << hart, 0);
}

// Wake the idle hart nearest to hart `from` (another one), if there is
// one: v has to wait in line on `from`, and that hart may take it, now or
// (a vCPU of a NUMA VM, from another node) once it has waited long enough
// (rebalance_due). Caller holds sched_lock.
static void kick_idle_near(int from) {
  int order[MAX_NODES];
  int n = memmap_fallback_order(harts[from].node, order);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machine.nharts; i++) {
      int h = (int)machine.harts[i].id;
      if (h != from && harts[h].node == order[k] && harts[h].idle) {
        kick_hart(h);
        return;
      }
    }
  }
}

// Make v RUNNABLE on its hart's queue. Caller holds sched_lock. A vCPU
// already in a queue would be linked twice (to itself, even): a monitor
// bug, caught here rather than as a vCPU that runs after it stopped.
static void make_runnable(struct vcpu *v) {
  if (v->state == VCPU_RUNNABLE)
    panic("make_runnable: vCPU %d of VM %s is in a run queue already", v->id,
          v->vm->name);
  v->state = VCPU_RUNNABLE;
  bool behind = harts[v->hart].rq_head != NULL;   // it will wait its turn
  if (!behind)
    v->waited = 0;                // first in line: its hart has time for it
  rq_push(v->hart, v);
  if (harts[v->hart].idle)
    kick_hart(v->hart);
  else if (behind)
    kick_idle_near(v->hart);
}

void sched_start_vcpu(struct vcpu *v) {
  acquire(&sched_lock);
  make_runnable(v);
  release(&sched_lock);
}

// The new state only takes effect in after_run, once v is off the hart
// with its CSRs saved: until then v stays RUNNING, so no other hart can
// pick it up half-saved.
void sched_idle_vcpu(struct vcpu *v, enum vcpu_state state) {
  acquire(&sched_lock);           // hart_status reads it from other harts
  v->next_state = state;
  release(&sched_lock);
  v->leave = 1;
}

void sched_kick_vcpu(struct vcpu *v) {
  acquire(&sched_lock);
  if (v->state == VCPU_IDLE || v->state == VCPU_SUSPENDED) {
    // Off its hart, CSRs saved in v: it can go back in line.
    if (vcpu_has_interrupt(v)) {
      v->idle_ticks += rdtime() - v->idle_since;
      make_runnable(v);
    }
  } else if (v->state == VCPU_RUNNING) {
    kick_hart(v->hart);
  }
  release(&sched_lock);
}

void sched_kick_vm(struct vm *vm) {
  acquire(&sched_lock);
  for (int i = 0; i < vm->nvcpus; i++)
    if (vm->vcpus[i].state == VCPU_RUNNING)
      kick_hart(vm->vcpus[i].hart);
  release(&sched_lock);
}

// ---- The loop ----

// IDLE vCPUs of this hart that have an interrupt now go back in line;
// returns the earliest time one of the others wants to wake (its timer).
// Caller holds sched_lock.
static uint64_t wake_idle(int me) {
  uint64_t next = ~0UL;
  for (int i = 0; i < MAX_VMS; i++) {
    struct vm *vm = &vms[i];
    if (vm->state != VM_RUNNING)
      continue;
    for (int j = 0; j < vm->nvcpus; j++) {
      struct vcpu *v = &vm->vcpus[j];
      if (v->hart != me || (v->state != VCPU_IDLE && v->state != VCPU_SUSPENDED))
        continue;
      if (vcpu_has_interrupt(v)) {
        v->idle_ticks += rdtime() - v->idle_since;
        make_runnable(v);
      } else if ((v->vsie & (1UL << IRQ_S_TIMER)) && v->vstimecmp < next) {
        next = v->vstimecmp;
      }
    }
  }
  return next;
}

// When may a hart of another node take v, which waits in a queue: at
// once, unless its VM has a NUMA policy (lab 4); then once v->waited and
// its wait in the queue now add up to rebalance_ticks (see the top of
// this file). Caller holds sched_lock.
static uint64_t may_cross_at(struct vcpu *v) {
  if (!v->vm->pmap.numa.on)
    return 0;
  uint64_t need = rebalance_ticks();
  return v->waited >= need ? v->queued_at : v->queued_at + (need - v->waited);
}

// Take from hart h's run queue the first vCPU that may run on node
// `node` now: any, on h's own node; from another node, one that may cross
// (may_cross_at). Caller holds sched_lock.
static struct vcpu *rq_take_for(int h, int node) {
  struct hart *hh = &harts[h];
  struct vcpu *prev = NULL;
  uint64_t now = rdtime();
  for (struct vcpu *v = hh->rq_head; v != NULL; prev = v, v = v->rq_next) {
    if (hh->node != node && may_cross_at(v) > now)
      continue;
    if (prev != NULL)
      prev->rq_next = v->rq_next;
    else
      hh->rq_head = v->rq_next;
    if (hh->rq_tail == v)
      hh->rq_tail = prev;
    v->rq_next = NULL;
    v->waited += now - v->queued_at;
    return v;
  }
  return NULL;
}

// A RUNNABLE vCPU from another hart's queue: same node first, then the
// nearest nodes (rq_take_for says which may go). It moves to this hart.
// A vCPU of a NUMA VM that changes node is counted (vcpu-moves), and
// starts its wait over: its new node has time for it.
// Caller holds sched_lock.
static struct vcpu *steal(int me) {
  int order[MAX_NODES];
  int n = memmap_fallback_order(harts[me].node, order);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machine.nharts; i++) {
      int h = (int)machine.harts[i].id;
      if (h == me || harts[h].node != order[k])
        continue;
      struct vcpu *v = rq_take_for(h, harts[me].node);
      if (v == NULL)
        continue;
      if (harts[h].node != harts[me].node && v->vm->pmap.numa.on) {
        __atomic_fetch_add(&v->vm->pmap.numa.vcpu_moves, 1, __ATOMIC_RELAXED);
        v->waited = 0;
      }
      v->hart = me;
      return v;
    }
  }
  return NULL;
}

// The earliest time a vCPU waiting on another node's hart may come to
// hart `me` (may_cross_at), or ~0 if none waits: an idle hart wakes then
// to take it. (The ones that may come now, steal has just taken.)
// Caller holds sched_lock.
static uint64_t rebalance_due(int me) {
  uint64_t due = ~0UL;
  for (int i = 0; i < machine.nharts; i++) {
    int h = (int)machine.harts[i].id;
    if (harts[h].node == harts[me].node)
      continue;
    for (struct vcpu *v = harts[h].rq_head; v != NULL; v = v->rq_next) {
      uint64_t t = may_cross_at(v);
      if (t < due)
        due = t;
    }
  }
  return due;
}

// Are all VMs done (stopped, and finished by vm_finish)? A VM that
// reboots is not: its slot is FINISHING, then CREATING, then RUNNING
// again. Caller holds sched_lock.
static bool all_done(void) {
  for (int i = 0; i < MAX_VMS; i++)
    if (vms[i].state != VM_FREE && vms[i].state != VM_DONE)
      return false;
  return true;
}

// v came back from vcpu_run: decide where it goes. Returns the VM if v was
// its last vCPU on a hart and the VM has stopped (the caller finishes it).
// Caller holds sched_lock.
static struct vm *after_run(struct vcpu *v) {
  struct vm *vm = v->vm;
  if (vm->state != VM_RUNNING) {
    v->state = VCPU_STOPPED;
    for (int i = 0; i < vm->nvcpus; i++)
      if (vm->vcpus[i].state == VCPU_RUNNING)
        return NULL;              // another one is still on a hart
    if (vm->state == VM_STOPPING) {
      vm->state = VM_FINISHING;   // vm_finish, then VM_DONE
      rq_remove_vm(vm);
      for (int i = 0; i < vm->nvcpus; i++)
        vm->vcpus[i].state = VCPU_STOPPED;
      return vm;
    }
    return NULL;
  }
  if (v->next_state == VCPU_RUNNING) {
    make_runnable(v);             // slice over, or kicked: back in line
    return NULL;
  }
  v->state = v->next_state;       // what sched_idle_vcpu asked for
  v->next_state = VCPU_RUNNING;
  v->idle_since = rdtime();
  v->waited = 0;                  // it had nothing to do: not starved
  if ((v->state == VCPU_IDLE || v->state == VCPU_SUSPENDED) &&
      vcpu_has_interrupt(v)) {
    make_runnable(v);             // an interrupt came while it went idle
  }
  return NULL;
}

// Is a vCPU waiting in any hart's queue? Caller holds sched_lock.
static bool anyone_queued(void) {
  for (int i = 0; i < machine.nharts; i++)
    if (harts[machine.harts[i].id].rq_head != NULL)
      return true;
  return false;
}

// A sleeping hart's wake-up: `wake`, or sooner for the hart's own duties:
// the boot hart reads the console now and then, and the disk watcher
// looks for finished disk requests (diskq_deadline).
static uint64_t idle_deadline(uint64_t wake, bool console) {
  uint64_t keys = rdtime() + machine.timebase / 1000 * CONSKEYS_POLL_MS;
  if (console && keys < wake)
    wake = keys;
  uint64_t disk = diskq_deadline(true);
  return disk < wake ? disk : wake;
}

bool sched_wait_here(struct vcpu *v) {
  int me = (int)hart_id();
  bool console = (uint64_t)me == machine.boot_hart;
  // Only when the usual way would find nothing else to run either: no
  // vCPU queued anywhere (this hart would take it, or steal it), none of a
  // NUMA VM about to be allowed to cross to us (rebalance_due).
  acquire(&sched_lock);
  if (anyone_queued() || rebalance_due(me) != ~0UL) {
    release(&sched_lock);
    return false;
  }
  harts[me].idle = true;            // so that new work kicks us (make_runnable)
  v->waited = 0;                    // it has nothing to do: not starved
  release(&sched_lock);
  uint64_t t0 = rdtime();
  bool take = false;
  for (;;) {
    if (console) {
      conskeys_poll();
      vm_memory_report();
    }
    diskq_poll();                   // maybe v's disk interrupt
    if (vcpu_has_interrupt(v)) {
      take = true;
      break;
    }
    // The hart's other duties, as the scheduler loop would do them: its
    // idle vCPUs whose time has come go in line (wake_idle), and so do
    // those that an interrupt found above made runnable (make_runnable
    // kicks no hart for the hart it runs on). Something in line, a kick
    // from another hart, the VM stopping: the usual way sorts it out.
    acquire(&sched_lock);
    uint64_t others = wake_idle(me);
    bool queued = harts[me].rq_head != NULL;
    release(&sched_lock);
    if (queued || v->vm->state != VM_RUNNING || (csr_read(sip) & (1UL << IRQ_S_SOFT)))
      break;
    // Sleep until v's own timer (if it enabled it), the others' (`others`,
    // from wake_idle), or the hart's duties.
    if ((v->vsie & (1UL << IRQ_S_TIMER)) && v->vstimecmp < others)
      others = v->vstimecmp;
    hart_set_timer(idle_deadline(others, console));
    wfi();
  }
  if (take) {
    v->wfis_here++;
    csr_clear(sip, 1UL << IRQ_S_SOFT);  // whatever kicked us is looked at on entry
  }
  uint64_t waited = rdtime() - t0;
  acquire(&sched_lock);
  harts[me].idle = false;
  harts[me].idle_ticks += waited;
  v->idle_ticks += waited;
  release(&sched_lock);
  hart_set_timer(harts[me].slice_end);   // vcpu_run's timer again
  return take;
}

// The last VM has finished: whichever hart sees it first powers off.
static void power_off_when_done(void) {
  static int once;
  if (__atomic_exchange_n(&once, 1, __ATOMIC_ACQ_REL) != 0)
    for (;;)
      wfi();
  printf("Disco-V: all VMs have stopped\n");
  memmap_print();
  vm_print_memory();
  tlb_print_machine();
  sbi_system_reset(SBI_RESET_SHUTDOWN, SBI_RESET_REASON_NONE);
  for (;;)
    wfi();
}

void sched_run(void) {
  int me = (int)hart_id();
  bool console = (uint64_t)me == machine.boot_hart;
  for (;;) {
    if (console) {
      conskeys_poll();            // keys typed on the console
      vm_memory_report();         // the periodic memory line, if asked for
    }
    diskq_poll();                 // requests the real disk has finished
    acquire(&sched_lock);
    uint64_t next_wake = wake_idle(me);
    struct vcpu *v = rq_pop(me);
    if (v == NULL)
      v = steal(me);
    // A vCPU of a VM that stopped while it waited in line: drop it.
    while (v != NULL && v->vm->state != VM_RUNNING) {
      struct vm *done = after_run(v);
      release(&sched_lock);
      if (done != NULL)
        vm_finish(done);
      acquire(&sched_lock);
      v = rq_pop(me);
    }
    if (v == NULL) {
      if (all_done()) {
        release(&sched_lock);
        power_off_when_done();
      }
      // Nothing to run: sleep until the next guest timer, or until a vCPU
      // of a NUMA VM that waits on another node may come here, or until
      // another hart kicks us (sbi_send_ipi sets our SSIP).
      harts[me].idle = true;
      uint64_t due = rebalance_due(me);
      if (due < next_wake)
        next_wake = due;
      release(&sched_lock);
      uint64_t t0 = rdtime();
      hart_set_timer(idle_deadline(next_wake, console));
      wfi();
      csr_clear(sip, 1UL << IRQ_S_SOFT);
      acquire(&sched_lock);
      harts[me].idle = false;
      harts[me].idle_ticks += rdtime() - t0;
      release(&sched_lock);
      continue;
    }

    v->state = VCPU_RUNNING;
    v->next_state = VCPU_RUNNING;
    v->hart = me;
    release(&sched_lock);

    // Run it until its slice ends or it leaves by itself.
    harts[me].slice_end = rdtime() + slice_ticks();
    hart_set_timer(harts[me].slice_end);
    vcpu_run(v);
    hart_set_timer(~0UL);

    acquire(&sched_lock);
    struct vm *done = after_run(v);
    release(&sched_lock);
    if (done != NULL)
      vm_finish(done);
  }
}
