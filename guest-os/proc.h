// guest-os/proc.h: processes.
//
// A process is an address space (guest-os/aspace.h), a kernel stack, the
// user registers saved at its last trap (its trap frame), the kernel
// registers saved at its last switch (its context), its open files and
// current directory, and its place in the family: parent, exit status,
// pid. The table is fixed: NPROC slots.
//
// A process's life, and who moves it along:
//
//   UNUSED --proc_alloc--> EMBRYO --fork/first process--> RUNNABLE
//   RUNNABLE --scheduler--> RUNNING --timer (yield)--> RUNNABLE
//   RUNNING --proc_sleep--> SLEEPING --proc_wakeup or kill--> RUNNABLE
//   RUNNING --proc_exit--> ZOMBIE --parent's wait--> UNUSED
//
// proc_lock guards every field marked (L) in every slot, and the
// transitions. One lock for the whole table is simple to reason about; a
// few harts contend for it only on fork, exit, wait, sleep and wakeup,
// which are rare next to the work between them.
#ifndef GUEST_OS_PROC_H
#define GUEST_OS_PROC_H

#include "guest-os/aspace.h"
#include "guest-os/param.h"
#include "guest-os/sched.h"
#include "guest-os/trapframe.h"
#include "kernel/spinlock.h"

struct file;
struct inode;

enum proc_state { UNUSED, EMBRYO, RUNNABLE, RUNNING, SLEEPING, ZOMBIE };

struct proc {
  enum proc_state state;     // (L)
  int pid;                   // (L) set once, at allocation
  struct proc *parent;       // (L) NULL only for the first process
  const void *chan;          // (L) what it sleeps on, when SLEEPING
  bool killed;               // (L) to exit at its next chance
  int exit_status;           // (L) valid when ZOMBIE
  int last_hart;             // (L) where it last ran (-1: nowhere yet): the
                             //   scheduler prefers that hart (affinity)

  // The process's own: only it (or its creator, before it first runs,
  // or its parent's wait, once it is a zombie) touches these.
  struct aspace as;          // the user half of its page table
  uint64_t kstack;           // its kernel stack: one page
  struct context context;    // kernel registers, while switched away
  struct trapframe tf;       // user registers, while in the kernel
  char name[PROC_NAME_LEN];  // its program's name, for messages
  struct file *files[NOFILE];  // open files by descriptor; NULL: closed
  struct inode *cwd;         // current directory; NULL: no file system
};

// The lowest word of every kernel stack holds this; sched_give_up checks
// it, so a stack that overflowed into it is caught at the next switch
// (kernel stacks are plain pages, with no guard page below them).
#define KSTACK_CANARY 0x2121b0b0cafe2121UL

extern struct proc procs[NPROC];
extern struct spinlock proc_lock;

// The process running on this hart, or NULL in the scheduler.
struct proc *this_proc(void);

// Has p been killed? (Read without the lock: a stale answer only delays
// the exit to the next check.)
static inline bool proc_killed(struct proc *p) {
  return __atomic_load_n(&p->killed, __ATOMIC_RELAXED);
}

// Create the first process. When it first runs it mounts the file system
// (which sleeps for the disk, so it needs a process), takes the console
// as descriptors 0, 1 and 2 and the root as its current directory, and
// runs program "init" with argv {"init", bootargs}. Boot hart, once.
// Panics if it cannot.
void proc_start_init(const char *bootargs);

// The system calls' work. Each returns what the call returns.
int proc_fork(void);                       // child's pid, or -1
void proc_exit(int status) __attribute__((noreturn));
// A zombie child's pid, or -1 (no children). If no child has exited yet,
// wait for one; unless !block, then return 0 at once (the shell's check
// for finished background jobs).
int proc_wait(uint64_t status_uva, bool block);
int proc_kill(int pid);                    // 0, or -1: no such process

#endif
