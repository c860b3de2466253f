// guest-os/exec.c: load an ELF program into a fresh address space (see
// guest-os/exec.h and guest-os/elf.h).
//
// The address space it builds (guest-os/memlayout.h):
//
//   brk = heap_base  +---------------------------+  stack top
//                    | argument strings          |
//                    | argv[0..argc], NULL       |
//                    | ... the stack grows down  |  <- sp at main
//                    +---------------------------+
//                    | guard page (unmapped)     |  an overflow faults
//   image end        +---------------------------+
//                    | the LOAD segments, with   |
//                    | their ELF permissions     |
//   USER_BASE        +---------------------------+
//
// Where the program's bytes come from: a file, found by its path (a name
// without a '/' is looked up in /bin); or, on a machine with no file
// system, the copy built into the kernel image (guest-os/programs.h).
//
// How they get into the user pages. A page that one whole block of the
// file fills (the segment's offset in the file is a multiple of the
// block size, and the page lies within the file's part of the segment)
// is read by the disk straight into the user page when the buffer cache
// does not hold the block (bcache.h: bread_page): under Disco-V the
// monitor may then map, instead of a copy, one machine page that every
// VM reading that block of the shared base disk shares (Disco 4.2.5,
// which changed IRIX likewise). user.ld lays the programs out so that
// their code and constants are such pages, but for each segment's last,
// partial page. That page, the rest of a partial one (bss) and anything
// from a built-in program are copied as before, through a bounce page.
#include "guest-os/bcache.h"
#include "guest-os/dir.h"
#include "guest-os/elf.h"
#include "guest-os/exec.h"
#include "guest-os/fs.h"
#include "guest-os/inode.h"
#include "guest-os/log.h"
#include "guest-os/memlayout.h"
#include "guest-os/page.h"
#include "guest-os/proc.h"
#include "guest-os/programs.h"
#include "kernel/printf.h"
#include "kernel/string.h"

// The program file being loaded: exactly one of the two is set.
struct image {
  struct inode *ip;                 // a file (referenced, not locked)
  const struct program *builtin;    // a built-in program
};

// The last part of a path: "/bin/echo" -> "echo".
static const char *last_name(const char *path) {
  const char *last = path;
  for (const char *s = path; *s; s++)
    if (*s == '/')
      last = s + 1;
  return last;
}

// Find the program `path`. 0, or -1 if there is no such file, or it is a
// directory.
static int image_open(struct image *im, const char *path) {
  im->ip = NULL;
  im->builtin = NULL;
  if (!fs_mounted()) {
    im->builtin = program_find(last_name(path));
    return im->builtin != NULL ? 0 : -1;
  }
  char full[MAX_PATH];
  if (strchr(path, '/') == NULL)
    snprintf(full, sizeof(full), "/bin/%s", path);
  else
    snprintf(full, sizeof(full), "%s", path);
  txn_begin();
  struct inode *ip = path_lookup(full);
  if (ip != NULL) {
    ilock(ip);
    if (ip->d.type != FS_T_FILE) {
      iunlockput(ip);
      ip = NULL;
    } else {
      iunlock(ip);
    }
  }
  txn_end();
  im->ip = ip;
  return ip != NULL ? 0 : -1;
}

// Done with the program file.
static void image_close(struct image *im) {
  if (im->ip == NULL)
    return;
  txn_begin();              // the file may have been unlinked meanwhile
  iput(im->ip);
  txn_end();
  im->ip = NULL;
}

// Copy n bytes at offset off of the program's file into dst (kernel
// memory). 0, or -1 when they are not all inside the file. The file is
// locked only for the read, so that many processes may load the same
// program at once.
static int image_read(struct image *im, uint64_t off, void *dst, uint64_t n) {
  if (im->builtin != NULL) {
    uint64_t size = (uint64_t)(im->builtin->end - im->builtin->start);
    if (off > size || n > size - off)
      return -1;
    memcpy(dst, im->builtin->start + off, n);
    return 0;
  }
  ilock(im->ip);
  int64_t got = readi(im->ip, false, (uint64_t)dst, off, n);
  iunlock(im->ip);
  return got == (int64_t)n ? 0 : -1;
}

// Fill `page`, a new user page, with the block at offset off of the
// program's file (a block boundary, with a whole block of the file from
// there). 0, or -1 when the file is shorter. The inode lock is held for
// the whole read, not only for finding the block: a concurrent truncate
// could otherwise free the block, and another file take and fill it,
// before the read; a concurrent write of the file waits, so the page
// gets the block as it is at one instant (bread_page's own locking
// makes it the newest version, cached or not).
static int image_read_page(struct image *im, uint64_t off, void *page) {
  ilock(im->ip);
  uint64_t size = im->ip->d.size;
  uint32_t blockno = 0;
  if (off % FS_BLOCK == 0 && off <= size && size - off >= FS_BLOCK)
    blockno = file_block(im->ip, off / FS_BLOCK);
  if (blockno != 0)
    bread_page(blockno, page);
  iunlock(im->ip);
  return blockno != 0 ? 0 : -1;
}

// Is this a RISC-V 64-bit executable we can load?
static bool header_ok(const struct elf_header *eh) {
  return eh->magic == ELF_MAGIC && eh->class == ELF_CLASS_64 &&
         eh->data == ELF_DATA_LSB && eh->type == ELF_TYPE_EXEC &&
         eh->machine == ELF_MACHINE_RISCV &&
         eh->phentsize == sizeof(struct elf_segment);
}

// Map and fill one LOAD segment. It must start on a page boundary, above
// the previous segment's pages (*end), and stay in the user half, so that
// no two segments share a page. Moves *end to its last page's end. The
// file's bytes come through `bounce`, a page of kernel memory.
static int load_segment(struct aspace *as, struct image *im,
                        const struct elf_segment *seg, uint64_t *end,
                        uint8_t *bounce) {
  uint64_t room = USER_TOP - USER_BASE;
  if (seg->memsz < seg->filesz || seg->vaddr % PAGE_SIZE != 0 ||
      seg->vaddr < *end || seg->vaddr - USER_BASE > room ||
      seg->memsz > USER_TOP - seg->vaddr)
    return -1;
  uint64_t perm = 0;
  perm |= (seg->flags & SEG_R) ? PTE_R : 0;
  perm |= (seg->flags & SEG_W) ? PTE_W : 0;
  perm |= (seg->flags & SEG_X) ? PTE_X : 0;
  uint64_t size = ALIGN_UP(seg->memsz, PAGE_SIZE);
  if (perm == 0 || as_map_new(as, seg->vaddr, size, perm) < 0)
    return -1;
  // The pages are zeroed: only the file's part needs filling, a page at
  // a time: a whole block of a file straight from the disk if it can
  // be, else copied (as_write ignores the W bit: code pages get written
  // too).
  for (uint64_t done = 0; done < seg->filesz; done += PAGE_SIZE) {
    uint64_t n = seg->filesz - done < PAGE_SIZE ? seg->filesz - done : PAGE_SIZE;
    if (im->ip != NULL && n == PAGE_SIZE && (seg->offset + done) % FS_BLOCK == 0) {
      void *page = as_page(as, seg->vaddr + done);
      if (page == NULL || image_read_page(im, seg->offset + done, page) < 0)
        return -1;
      continue;
    }
    if (image_read(im, seg->offset + done, bounce, n) < 0 ||
        as_write(as, seg->vaddr + done, bounce, n) < 0)
      return -1;
  }
  *end = seg->vaddr + size;
  return 0;
}

// Load every LOAD segment; set *entry and *image_end. 0 or -1.
static int load_program(struct aspace *as, struct image *im,
                        uint64_t *entry, uint64_t *image_end, uint8_t *bounce) {
  struct elf_header eh;
  if (image_read(im, 0, &eh, sizeof(eh)) < 0 || !header_ok(&eh))
    return -1;
  uint64_t end = USER_BASE;
  for (int i = 0; i < eh.phnum; i++) {
    struct elf_segment seg;
    if (image_read(im, eh.phoff + i * sizeof(seg), &seg, sizeof(seg)) < 0)
      return -1;
    // An empty LOAD segment (a linker script's unused data part) has
    // nothing to place; skip it rather than judge its address.
    if (seg.type == SEG_LOAD && seg.memsz > 0 &&
        load_segment(as, im, &seg, &end, bounce) < 0)
      return -1;
  }
  *entry = eh.entry;
  *image_end = end;
  return 0;
}

// Put the argument strings and then the argv array on the new stack,
// below *sp, and move *sp down past them. Returns argc, or -1. The
// RISC-V psABI wants sp 16-byte aligned at a call, so at main.
static int push_args(struct aspace *as, char *const argv[], uint64_t *sp,
                     uint64_t *argv_uva) {
  uint64_t ptrs[MAX_ARGS + 1];
  int argc = 0;
  for (; argv[argc] != NULL; argc++) {
    if (argc == MAX_ARGS)
      return -1;
    uint64_t len = strlen(argv[argc]) + 1;
    if (len > MAX_ARGLEN)
      return -1;
    *sp -= len;
    if (copy_to_user(as, *sp, argv[argc], len) < 0)
      return -1;
    ptrs[argc] = *sp;
  }
  ptrs[argc] = 0;
  *sp = ALIGN_DOWN(*sp - (argc + 1) * sizeof(uint64_t), 16);
  if (copy_to_user(as, *sp, ptrs, (argc + 1) * sizeof(uint64_t)) < 0)
    return -1;
  *argv_uva = *sp;
  return argc;
}

// The last part of a path, as the process's name.
static void set_name(struct proc *p, const char *path) {
  const char *last = last_name(path);
  size_t n = strnlen(last, sizeof(p->name) - 1);
  memcpy(p->name, last, n);
  p->name[n] = 0;
}

int exec_program(struct proc *p, const char *path, char *const argv[]) {
  struct image im;
  struct aspace as;
  if (image_open(&im, path) < 0)
    return -1;
  uint8_t *bounce = (uint8_t *)page_alloc();
  if (bounce == NULL || as_create(&as) < 0) {
    if (bounce != NULL)
      page_free((uint64_t)bounce);
    image_close(&im);
    return -1;
  }

  uint64_t entry, image_end, argv_uva;
  int loaded = load_program(&as, &im, &entry, &image_end, bounce);
  page_free((uint64_t)bounce);
  image_close(&im);
  if (loaded < 0)
    goto fail;
  // A guard page, then the stack; the heap starts where the stack ends.
  uint64_t stack_base = image_end + PAGE_SIZE;
  uint64_t stack_top = stack_base + USER_STACK_PAGES * PAGE_SIZE;
  if (stack_top > USER_TOP ||
      as_map_new(&as, stack_base, stack_top - stack_base, PTE_R | PTE_W) < 0)
    goto fail;
  as.heap_base = as.brk = stack_top;
  uint64_t sp = stack_top;
  int argc = push_args(&as, argv, &sp, &argv_uva);
  if (argc < 0)
    goto fail;

  // No way back from here: swap the address spaces. If p is running on
  // this hart, its old table is in satp; load the new one first.
  struct aspace old = p->as;
  p->as = as;
  if (p == this_proc())
    sv39_switch(p->as.root);
  as_destroy(&old);
  set_name(p, path);
  memset(p->tf.x, 0, sizeof(p->tf.x));
  p->tf.epc = entry;
  p->tf.x[REG_SP] = sp;
  p->tf.x[REG_A0] = (uint64_t)argc;   // main(argc, argv)
  p->tf.x[REG_A1] = argv_uva;
  return argc;

fail:
  as_destroy(&as);
  return -1;
}
