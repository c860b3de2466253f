// guest-os/pipe.c: pipes (see guest-os/pipe.h).
//
// A pipe is one page: its state, then a ring buffer of the rest. Two
// counters that only grow say where the bytes are (an index is a
// counter modulo PIPE_SIZE):
//
//        nread                 nwrite
//   ... --+---------------------+-- ... free ...
//         | written, not read   |
//
// Readers sleep on &nread until there is something to read; writers
// sleep on &nwrite until there is room. Each side wakes the other after
// it moves bytes. p->lock guards everything, and the copies to and from
// user memory are done under it: they walk page tables, never sleep.
#include "guest-os/aspace.h"
#include "guest-os/file.h"
#include "guest-os/page.h"
#include "guest-os/pipe.h"
#include "guest-os/proc.h"

#define PIPE_SIZE (PAGE_SIZE - 64)

struct pipe {
  struct spinlock lock;
  uint64_t nread;            // bytes read so far
  uint64_t nwrite;           // bytes written so far
  bool read_open;            // the read end is open
  bool write_open;           // the write end is open
  char data[PIPE_SIZE];
};

_Static_assert(sizeof(struct pipe) <= PAGE_SIZE, "a pipe is one page");

int pipe_create(struct file **rf, struct file **wf) {
  struct pipe *p = (struct pipe *)page_alloc();
  *rf = file_alloc();
  *wf = file_alloc();
  if (p == NULL || *rf == NULL || *wf == NULL) {
    // Undo what worked: the files were never used, so closing them only
    // frees their slots.
    if (p != NULL)
      page_free((uint64_t)p);
    if (*rf != NULL)
      file_close(*rf);
    if (*wf != NULL)
      file_close(*wf);
    return -1;
  }
  spinlock_init(&p->lock, "pipe");
  p->read_open = p->write_open = true;
  (*rf)->kind = FILE_PIPE;
  (*rf)->readable = true;
  (*rf)->pipe = p;
  (*wf)->kind = FILE_PIPE;
  (*wf)->writable = true;
  (*wf)->pipe = p;
  return 0;
}

void pipe_close(struct pipe *p, bool writer) {
  acquire(&p->lock);
  // The other side may be asleep waiting for us: let it see we are gone.
  if (writer) {
    p->write_open = false;
    proc_wakeup(&p->nread);
  } else {
    p->read_open = false;
    proc_wakeup(&p->nwrite);
  }
  bool gone = !p->read_open && !p->write_open;
  release(&p->lock);
  if (gone)
    page_free((uint64_t)p);
}

int64_t pipe_write(struct pipe *p, uint64_t uva, uint64_t n) {
  struct proc *me = this_proc();
  if (!user_range_ok(&me->as, uva, n, false))
    return -1;
  uint64_t done = 0;
  acquire(&p->lock);
  while (done < n) {
    if (!p->read_open || proc_killed(me)) {
      release(&p->lock);
      return -1;
    }
    uint64_t room = PIPE_SIZE - (p->nwrite - p->nread);
    if (room == 0) {
      proc_wakeup(&p->nread);
      proc_sleep(&p->nwrite, &p->lock);
      continue;
    }
    // As much as fits before the ring wraps; the loop does the rest.
    uint64_t at = p->nwrite % PIPE_SIZE;
    uint64_t len = n - done;
    if (len > room)
      len = room;
    if (len > PIPE_SIZE - at)
      len = PIPE_SIZE - at;
    if (copy_from_user(&me->as, &p->data[at], uva + done, len) < 0)
      break;                     // cannot happen: checked above
    p->nwrite += len;
    done += len;
  }
  proc_wakeup(&p->nread);
  release(&p->lock);
  return (int64_t)done;
}

int64_t pipe_read(struct pipe *p, uint64_t uva, uint64_t n) {
  struct proc *me = this_proc();
  if (!user_range_ok(&me->as, uva, n, true))
    return -1;
  acquire(&p->lock);
  while (p->nread == p->nwrite && p->write_open) {
    if (proc_killed(me)) {
      release(&p->lock);
      return -1;
    }
    proc_sleep(&p->nread, &p->lock);
  }
  // Whatever is there, up to n bytes, in at most two pieces (the ring
  // may wrap). Nothing there and no writer: 0, end of file.
  uint64_t got = 0;
  while (got < n && p->nread != p->nwrite) {
    uint64_t at = p->nread % PIPE_SIZE;
    uint64_t len = p->nwrite - p->nread;
    if (len > n - got)
      len = n - got;
    if (len > PIPE_SIZE - at)
      len = PIPE_SIZE - at;
    if (copy_to_user(&me->as, uva + got, &p->data[at], len) < 0)
      break;                     // cannot happen: checked above
    p->nread += len;
    got += len;
  }
  proc_wakeup(&p->nwrite);
  release(&p->lock);
  return (int64_t)got;
}

uint64_t pipe_buffered(struct pipe *p) {
  acquire(&p->lock);
  uint64_t n = p->nwrite - p->nread;
  release(&p->lock);
  return n;
}
