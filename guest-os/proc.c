// guest-os/proc.c: the process table, fork, exit, wait, kill (see
// guest-os/proc.h).
#include "guest-os/exec.h"
#include "guest-os/file.h"
#include "guest-os/fs.h"
#include "guest-os/hart.h"
#include "guest-os/inode.h"
#include "guest-os/log.h"
#include "guest-os/page.h"
#include "guest-os/proc.h"
#include "guest-os/trap.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct proc procs[NPROC];
struct spinlock proc_lock = SPINLOCK_INIT("proc");

static int next_pid = 1;               // (L)
static struct proc *init_proc;         // adopts orphans; never exits

struct proc *this_proc(void) { return this_hart()->proc; }

// Where a new process starts in the kernel: context_switch "returns"
// here the first time the scheduler picks it, holding proc_lock for it.
static void first_run(void) {
  release(&proc_lock);
  user_return(this_proc());
}

// A free slot, made EMBRYO, with a pid and a kernel stack whose context
// starts at first_run. Its address space is still empty (as.root NULL).
// NULL when the table is full or memory is out.
static struct proc *proc_alloc(void) {
  struct proc *p = NULL;
  // Claim the slot under the lock (EMBRYO keeps everyone else off it),
  // then do the slow part, the stack page, without it.
  acquire(&proc_lock);
  for (int i = 0; i < NPROC && p == NULL; i++)
    if (procs[i].state == UNUSED)
      p = &procs[i];
  if (p != NULL) {
    p->state = EMBRYO;
    p->last_hart = -1;
    p->pid = next_pid++;
    p->parent = NULL;
    p->killed = false;
    p->chan = NULL;
  }
  release(&proc_lock);
  if (p == NULL)
    return NULL;

  // The rest is ours alone: nobody looks at an EMBRYO but its creator.
  memset(&p->as, 0, sizeof(p->as));
  memset(&p->tf, 0, sizeof(p->tf));
  memset(p->files, 0, sizeof(p->files));
  p->cwd = NULL;
  // One page of kernel stack: enough for the deepest path (exec), and
  // the canary below catches the day it is not.
  p->kstack = page_alloc();
  if (p->kstack == 0) {
    acquire(&proc_lock);
    p->state = UNUSED;
    release(&proc_lock);
    return NULL;
  }
  *(uint64_t *)p->kstack = KSTACK_CANARY;   // checked at every switch
  // The context a scheduler will "return" into: ra is where it lands,
  // sp the top of the empty stack.
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64_t)first_run;
  p->context.sp = p->kstack + PAGE_SIZE;
  return p;
}

// Undo proc_alloc (and whatever address space was built) for a process
// that never ran.
static void proc_discard(struct proc *p) {
  as_destroy(&p->as);
  page_free(p->kstack);
  p->kstack = 0;
  acquire(&proc_lock);
  p->state = UNUSED;
  release(&proc_lock);
}

// The first process's boot arguments, for first_process.
static const char *init_bootargs;

// Where the first process starts, in the kernel, holding proc_lock (as
// first_run does): it sets up what every later process inherits from it.
static void first_process(void) {
  release(&proc_lock);
  struct proc *p = this_proc();
  fs_mount();
  struct file *console = file_console();
  if (console == NULL)
    panic("first_process: no open file for the console");
  p->files[0] = console;
  p->files[1] = file_dup(console);
  p->files[2] = file_dup(console);
  p->cwd = fs_mounted() ? iget(FS_ROOT_INUM) : NULL;
  char *argv[] = {"init", (char *)init_bootargs, NULL};
  if (exec_program(p, "init", argv) < 0)
    panic("cannot start the first process: no program init");
  user_return(p);
}

void proc_start_init(const char *bootargs) {
  struct proc *p = proc_alloc();
  // An empty address space for now: the scheduler loads its table into
  // satp before first_process runs, and exec replaces it.
  if (p == NULL || as_create(&p->as) < 0)
    panic("cannot start the first process: out of memory");
  init_bootargs = bootargs;
  p->context.ra = (uint64_t)first_process;
  memcpy(p->name, "init", 5);
  init_proc = p;
  acquire(&proc_lock);
  sched_make_runnable(p);
  release(&proc_lock);
}

int proc_fork(void) {
  struct proc *parent = this_proc();
  struct proc *child = proc_alloc();
  if (child == NULL)
    return -1;
  if (as_create(&child->as) < 0 || as_clone(&child->as, &parent->as) < 0) {
    proc_discard(child);
    return -1;
  }
  // The same open files (shared, offsets and all) and directory.
  for (int fd = 0; fd < NOFILE; fd++)
    if (parent->files[fd] != NULL)
      child->files[fd] = file_dup(parent->files[fd]);
  if (parent->cwd != NULL)
    child->cwd = idup(parent->cwd);
  // The child leaves the same system call as its parent, but with 0.
  child->tf = parent->tf;
  child->tf.x[REG_A0] = 0;
  memcpy(child->name, parent->name, sizeof(child->name));

  // Only now does the child exist for wait and the scheduler; the pid is
  // read under the lock because the child may run, exit and be reaped
  // the moment it is runnable.
  acquire(&proc_lock);
  child->parent = parent;
  int pid = child->pid;
  sched_make_runnable(child);
  release(&proc_lock);
  return pid;
}

// Give p's children to init (caller holds proc_lock). If one of them is
// a zombie already, init must hear of it to reap it.
static void reparent_children(struct proc *p) {
  for (int i = 0; i < NPROC; i++) {
    if (procs[i].state != UNUSED && procs[i].parent == p) {
      procs[i].parent = init_proc;
      if (procs[i].state == ZOMBIE)
        proc_wakeup_locked(init_proc);
    }
  }
}

void proc_exit(int status) {
  struct proc *p = this_proc();
  if (p == init_proc)
    panic("init exited with status %d", status);

  // Close everything; this may sleep (a last close may free a file on
  // the disk), so it comes while we are still an ordinary process.
  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->files[fd] != NULL) {
      file_close(p->files[fd]);
      p->files[fd] = NULL;
    }
  }
  if (p->cwd != NULL) {
    txn_begin();
    iput(p->cwd);
    txn_end();
    p->cwd = NULL;
  }

  // Give the memory back now, not at wait: a zombie holds only its slot
  // and its kernel stack (which it is standing on, so its parent frees
  // it). Leave the page table first, so that no hart holds it in satp.
  sv39_switch(kernel_root);
  as_destroy(&p->as);

  // From here to the switch, under proc_lock: the parent cannot see the
  // zombie (and free its stack) before we are off that stack.
  acquire(&proc_lock);
  reparent_children(p);
  p->exit_status = status;
  p->state = ZOMBIE;
  proc_wakeup_locked(p->parent);          // parents wait on themselves
  sched_give_up();
  panic("proc_exit: a zombie ran again");
}

int proc_wait(uint64_t status_uva, bool block) {
  struct proc *p = this_proc();
  acquire(&proc_lock);
  // Scan for a zombie child; if there are children but none is a zombie
  // yet, sleep until one exits (proc_exit wakes the parent) and scan
  // again.
  for (;;) {
    bool children = false;
    for (int i = 0; i < NPROC; i++) {
      struct proc *c = &procs[i];
      if (c->state == UNUSED || c->parent != p)
        continue;
      children = true;
      if (c->state != ZOMBIE)
        continue;
      // Report first: if the status cannot be stored, the child stays a
      // zombie for a later wait, and this one fails.
      if (status_uva != 0 &&
          copy_to_user(&p->as, status_uva, &c->exit_status, sizeof(int)) < 0) {
        release(&proc_lock);
        return -1;
      }
      int pid = c->pid;
      // Its hart left its stack when the scheduler took proc_lock back
      // from it (guest-os/sched.c), and we hold proc_lock now.
      page_free(c->kstack);
      c->kstack = 0;
      c->parent = NULL;
      c->state = UNUSED;
      release(&proc_lock);
      return pid;
    }
    if (!children || p->killed) {
      release(&proc_lock);
      return -1;
    }
    if (!block) {
      release(&proc_lock);
      return 0;                           // children, none exited yet
    }
    proc_sleep(p, &proc_lock);
  }
}

int proc_kill(int pid) {
  // Killing only marks: the process exits by itself, at its next return
  // to user mode or sleep-loop check (guest-os/trap.c), where it holds
  // no locks and owns no half-done work. init cannot be killed: every
  // orphan needs it.
  acquire(&proc_lock);
  for (int i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state == UNUSED || p->pid != pid || p == init_proc)
      continue;
    p->killed = true;
    // A sleeper wakes up to notice; each sleep loop checks `killed`.
    if (p->state == SLEEPING)
      sched_make_runnable(p);
    release(&proc_lock);
    return 0;
  }
  release(&proc_lock);
  return -1;
}
