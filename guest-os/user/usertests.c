// guest-os/user/usertests.c: the kernel's own test suite, run from user
// mode (boot with autorun=usertests).
//
// Each test exercises system calls the way a careless or hostile program
// would, and checks the kernel's answers: statuses passed from exit to
// wait, memory copied by fork and grown by sbrk, -1 (never a crash) for
// bad pointers and bad file descriptors, processes killed for touching
// what is not theirs while the kernel carries on, a full process table
// and exhausted memory both recovered from; pipes between processes; and,
// when the machine has a disk with a file system, files and directories
// written and read back, links, a file across the indirect block, a full
// disk, several processes at once, and exec
// from the disk. Each test prints one line,
//     usertests: NAME: ok        or   usertests: NAME: FAILED: why
// and the last line counts them: "usertests: N passed, M failed". The
// exit status is M. "usertests crash-write" and "usertests crash-check"
// are the two halves of the crash-recovery test (see crash_write). A
// line "guest-os: pid N (...) killed: ..." from the kernel is expected
// wherever a test makes a child misbehave on purpose.
#include "guest-os/user/ulib.h"

#define PAGE 4096L
#define KERNEL_ADDR 0x80200000L      // the kernel image (guest-os/kernel.ld)
#define UNMAPPED    0x3f00000000L    // in the user half, never mapped
#define NPROC       64               // guest-os/param.h

static const char *current;          // the test running now
static int marker;                   // exec must give a fresh copy (0)

// Report the current test as failed, with a reason; return 1, so a test
// can say `return fail(...)`.
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("usertests: %s: FAILED: ", current);
  vfprintf(1, fmt, ap);
  printf("\n");
  va_end(ap);
  return 1;
}

// Fork a child that runs fn (and exits 0 if fn returns); wait for it and
// return its exit status, or -1000 if fork or wait failed.
static int child_status(void (*fn)(void)) {
  int pid = fork();
  if (pid < 0)
    return -1000;
  if (pid == 0) {
    fn();
    exit(0);
  }
  int status;
  if (wait(&status) != pid)
    return -1000;
  return status;
}

// ---- fork, exit, wait, getpid ----

static int test_forkwait(void) {
  int pid = fork();
  if (pid < 0)
    return fail("fork returned %d", pid);
  if (pid == 0)
    exit(42);
  int status = 0;
  int w = wait(&status);
  if (w != pid || status != 42)
    return fail("wait gave pid %d status %d, want %d and 42", w, status, pid);

  // Three children at once, each with its own status; each must come
  // back exactly once.
  int pids[3];
  for (int i = 0; i < 3; i++) {
    pids[i] = fork();
    if (pids[i] == 0)
      exit(-10 - i);                 // negative statuses survive too
  }
  for (int n = 0; n < 3; n++) {
    w = wait(&status);
    int i = 0;
    while (i < 3 && pids[i] != w)
      i++;
    if (i == 3 || status != -10 - i)
      return fail("wait gave pid %d status %d", w, status);
    pids[i] = -1;
  }
  if ((w = wait(&status)) != -1)
    return fail("wait with no children gave %d, want -1", w);
  if (wait(NULL) != -1)
    return fail("wait(NULL) with no children did not fail");
  return 0;
}

static void exit_with_pid(void) { exit(getpid()); }

static int test_getpid(void) {
  int me = getpid();
  if (me <= 1 || getpid() != me)
    return fail("getpid gave %d, then %d", me, getpid());
  int pid = fork();
  if (pid == 0)
    exit_with_pid();
  int status;
  if (wait(&status) != pid || status != pid)
    return fail("the child said its pid was %d; fork said %d", status, pid);
  return 0;
}

// fork copies memory: the child sees the parent's data, and neither sees
// the other's later writes.
static int global = 1;

static int test_forkcopy(void) {
  char *heap = sbrk(3 * PAGE);
  if (heap == (char *)-1)
    return fail("sbrk failed");
  for (int i = 0; i < 3 * PAGE; i++)
    heap[i] = (char)i;
  global = 1;
  int pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 3 * PAGE; i++)
      if (heap[i] != (char)i)
        exit(1);
    global = 2;
    heap[5] = 99;
    exit(global == 2 ? 0 : 3);
  }
  int status;
  wait(&status);
  if (status != 0)
    return fail("the child saw wrong data (status %d)", status);
  if (global != 1 || heap[5] != 5)
    return fail("the child's writes reached the parent");
  sbrk(-3 * PAGE);
  return 0;
}

// ---- sbrk ----

static char *freed;                  // a page sbrk gave back
static void touch_freed(void) { *(volatile char *)freed = 1; }

static int test_sbrk(void) {
  char *a = sbrk(0);
  if (sbrk(1) != a || sbrk(0) != a + 1)
    return fail("sbrk(1) did not move the break by 1");
  *a = 'x';
  char *b = sbrk(10 * PAGE - 1);
  if (b != a + 1)
    return fail("sbrk returned %p, want %p", b, a + 1);
  for (long i = 0; i < 10 * PAGE; i += PAGE / 2)
    a[i] = (char)(i / PAGE + 1);
  for (long i = 0; i < 10 * PAGE; i += PAGE / 2)
    if (a[i] != (char)(i / PAGE + 1))
      return fail("heap byte %ld did not keep its value", i);
  if (sbrk(-10 * PAGE) != a + 10 * PAGE || sbrk(0) != a)
    return fail("shrinking did not move the break back");

  // The given-back pages are gone: touching them kills.
  freed = a + 5 * PAGE;
  int status = child_status(touch_freed);
  if (status != -1)
    return fail("touching a freed heap page: status %d, want -1", status);

  // Growing again gives zeroed memory, not the old contents.
  if (sbrk(10 * PAGE) != a)
    return fail("regrowing failed");
  for (long i = 0; i < 10 * PAGE; i++)
    if (a[i] != 0)
      return fail("regrown heap byte %ld is %d, not 0", i, a[i]);
  sbrk(-10 * PAGE);

  // Impossible requests fail and change nothing.
  if (sbrk(-(1L << 40)) != (void *)-1 || sbrk(1L << 40) != (void *)-1 ||
      sbrk(0) != a)
    return fail("a huge sbrk did not fail cleanly");
  return 0;
}

// ---- bad pointers and file descriptors ----

static int test_badptr(void) {
  char *top = sbrk(0);
  char *end = (char *)(((long)top + PAGE - 1) & ~(PAGE - 1));
  struct {
    const char *what;
    void *ptr;
    long n;
  } bad[] = {
      {"kernel memory", (void *)KERNEL_ADDR, 8},
      {"address 0", NULL, 1},
      {"an unmapped user page", (void *)UNMAPPED, 1},
      {"past the end of the heap", end - 8, 64},
      {"address -1", (void *)-1L, 1},
      {"a huge length", top - 8, 1L << 40},
  };
  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    long r = write(1, bad[i].ptr, bad[i].n);
    if (r != -1)
      return fail("write from %s returned %ld", bad[i].what, r);
    r = read(0, bad[i].ptr, bad[i].n);
    if (r != -1)
      return fail("read into %s returned %ld", bad[i].what, r);
  }
  // read into the program's code, which is mapped but not writable.
  if (read(0, (void *)test_badptr, 8) != -1)
    return fail("read into read-only code did not fail");

  // wait with a bad status pointer fails, and leaves the child for a
  // later wait.
  int pid = fork();
  if (pid == 0)
    exit(7);
  sleep(1);
  if (wait((int *)KERNEL_ADDR) != -1)
    return fail("wait with a kernel pointer did not fail");
  int status;
  if (wait(&status) != pid || status != 7)
    return fail("the child was lost after the failed wait");

  // exec with bad names and argument lists.
  char *args[] = {"echo", (char *)KERNEL_ADDR, NULL};
  if (exec((char *)KERNEL_ADDR, args) != -1 ||
      exec("echo", (char **)KERNEL_ADDR) != -1 || exec("echo", args) != -1)
    return fail("exec with a bad pointer did not fail");
  return 0;
}

static int test_badfd(void) {
  char c = 'x';
  int fds[] = {-1, 3, 4, 1000, -1000};
  for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
    if (write(fds[i], &c, 1) != -1)
      return fail("write to fd %d did not fail", fds[i]);
    if (read(fds[i], &c, 1) != -1)
      return fail("read from fd %d did not fail", fds[i]);
  }
  if (write(1, &c, -1) != -1)
    return fail("write with a negative length did not fail");
  if (write(1, &c, 0) != 0 || write(2, NULL, 0) != 0)
    return fail("an empty write did not return 0");
  return 0;
}

// ---- kill, sleep, uptime ----

static void spin(void) {
  for (volatile long i = 0;; i++)
    ;
}

static void doze(void) { sleep(100000); }

static int test_kill(void) {
  // A child that never makes a system call. On one hart, the parent only
  // runs again because the timer preempts the child.
  int pid = fork();
  if (pid == 0)
    spin();
  sleep(2);
  if (kill(pid) != 0)
    return fail("kill(%d) failed", pid);
  int status;
  if (wait(&status) != pid || status != -1)
    return fail("a killed spinner exited with %d, want -1", status);

  // A child asleep for 1000 s: kill must wake it.
  long t0 = uptime();
  pid = fork();
  if (pid == 0)
    doze();
  sleep(2);
  kill(pid);
  if (wait(&status) != pid || status != -1)
    return fail("a killed sleeper exited with %d, want -1", status);
  if (uptime() - t0 > 5 * HZ)
    return fail("killing a sleeper took %ld ticks", uptime() - t0);

  if (kill(1000000) != -1)
    return fail("kill of a pid that does not exist did not fail");
  return 0;
}

static int test_sleep(void) {
  long t0 = uptime();
  if (sleep(5) != 0)
    return fail("sleep(5) failed");
  long t1 = uptime();
  if (t1 - t0 < 5 || t1 - t0 > 5 + HZ)
    return fail("sleep(5) took %ld ticks", t1 - t0);
  if (sleep(0) != 0 || sleep(-1) != -1)
    return fail("sleep(0) or sleep(-1) gave the wrong answer");
  if (uptime() < t1)
    return fail("uptime went backwards");
  return 0;
}

// ---- exec ----

static void exec_self(void) {
  marker = 7;                        // exec must throw this copy away
  char *args[] = {"usertests", "exec-child", "one", "two three", NULL};
  exec("usertests", args);
  exit(5);                           // exec failed
}

// Run as "usertests exec-child one 'two three'": check what exec gave.
static int exec_child(int argc, char **argv) {
  if (argc != 4 || strcmp(argv[2], "one") != 0 ||
      strcmp(argv[3], "two three") != 0 || argv[4] != NULL)
    return 1;
  if (marker != 0)
    return 2;
  return 42;
}

static int test_exec(void) {
  char *args[] = {"no-such-program", NULL};
  if (exec("no-such-program", args) != -1)
    return fail("exec of a missing program did not fail");
  char *many[20];
  for (int i = 0; i < 19; i++)
    many[i] = "x";
  many[19] = NULL;
  if (exec("echo", many) != -1)
    return fail("exec with 19 arguments did not fail");
  int status = child_status(exec_self);
  if (status != 42)
    return fail("exec'd child exited with %d, want 42", status);
  return 0;
}

// ---- programs that touch what is not theirs ----

static void load_kernel(void) { (void)*(volatile long *)KERNEL_ADDR; }
static void store_kernel(void) { *(volatile long *)KERNEL_ADDR = 1; }
static void load_null(void) { (void)*(volatile long *)0; }
static void load_unmapped(void) { (void)*(volatile long *)UNMAPPED; }
static void store_code(void) { *(volatile int *)(long)test_badptr = 0; }
static void jump_kernel(void) { ((void (*)(void))KERNEL_ADDR)(); }
static void jump_heap(void) {
  unsigned *code = sbrk(PAGE);
  code[0] = 0x00008067;              // ret: valid code, on a page without X
  ((void (*)(void))code)();
}
// Instructions U-mode may not run, as raw words, since the assembler
// for this program's -march knows neither.
static void read_sstatus(void) { asm volatile(".word 0x100022f3"); } // csrr t0, sstatus
static void use_fpu(void) { asm volatile(".word 0xf0000053"); }      // fmv.w.x f0, zero
static void breakpoint(void) { asm volatile("ebreak"); }
static int deeper(int n) {
  volatile char frame[512];
  frame[0] = (char)n;
  return n < 1000000 ? deeper(n + 1) + frame[0] : 0;
}
static void overflow_stack(void) { deeper(0); }

static int test_faults(void) {
  struct {
    const char *what;
    void (*fn)(void);
  } faults[] = {
      {"load from kernel memory", load_kernel},
      {"store to kernel memory", store_kernel},
      {"load from address 0", load_null},
      {"load from an unmapped page", load_unmapped},
      {"store to its own code", store_code},
      {"jump into the kernel", jump_kernel},
      {"jump into the heap", jump_heap},
      {"read sstatus", read_sstatus},
      {"a floating-point instruction", use_fpu},
      {"ebreak", breakpoint},
      {"stack overflow", overflow_stack},
  };
  for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
    int status = child_status(faults[i].fn);
    if (status != -1)
      return fail("%s: child exited with %d, want -1 (killed)",
                  faults[i].what, status);
  }
  return 0;
}

// ---- running out ----

static int test_procfull(void) {
  int n = 0;
  for (;;) {
    int pid = fork();
    if (pid < 0)
      break;
    if (pid == 0)
      exit(0);                       // a zombie keeps its slot until wait
    n++;
    if (n > NPROC)
      return fail("fork succeeded %d times with %d slots", n, NPROC);
  }
  if (n < NPROC / 2)
    return fail("only %d forks before the table was full", n);
  for (int i = 0; i < n; i++) {
    int status;
    if (wait(&status) < 0 || status != 0)
      return fail("wait %d of %d failed", i + 1, n);
  }
  if (wait(NULL) != -1)
    return fail("more children than forks");
  // Recovered: the table has room again.
  if (child_status(exit_with_pid) <= 0)
    return fail("fork failed after the table was emptied");
  return 0;
}

// In a child: grow the heap a MiB at a time until sbrk fails; exit with
// the number of MiB it got.
static void eat_memory(void) {
  int mib = 0;
  while (sbrk(1L << 20) != (void *)-1)
    mib++;
  // Out of memory, the kernel must still answer: fork fails or works.
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid > 0)
    wait(NULL);
  exit(mib);
}

static int test_oom(void) {
  int first = child_status(eat_memory);
  if (first <= 0)
    return fail("the first child got %d MiB", first);
  // Everything it had came back at its exit: a second gets as much.
  int second = child_status(eat_memory);
  if (second < first - 1)
    return fail("first child got %d MiB, the second only %d: a leak?",
                first, second);
  printf("usertests: oom: ran out after %d MiB, twice\n", first);
  return 0;
}

// ---- Files (these need a file system: a disk made by tools/mkfs.py) ----
//
// Test files live in the root, named "t-..."; every test removes what it
// made, so that after a run the disk holds what mkfs put there and no
// more (the system test checks that on the host: no block or inode may
// leak).

static char buf[16384], buf2[16384];
static struct stat st;

// The byte at offset i of test file number `seed`: different in every
// block and every file, so a block read from the wrong place shows.
static char pattern(int seed, long i) {
  return (char)(seed * 31 + i * 7 + i / 4096 * 13);
}

static void fill(char *dst, int seed, long off, long n) {
  for (long i = 0; i < n; i++)
    dst[i] = pattern(seed, off + i);
}

// Read the whole file at path, `chunk` bytes a read, and compare it with
// file `seed`'s pattern and `size`. 0, or a failure.
static int check_file(const char *path, int seed, long size, long chunk) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return fail("cannot open %s to check it", path);
  long off = 0, n;
  while ((n = read(fd, buf2, chunk)) > 0) {
    for (long i = 0; i < n; i++)
      if (buf2[i] != pattern(seed, off + i)) {
        close(fd);
        return fail("%s: byte %ld is %d, want %d", path, off + i, buf2[i],
                    pattern(seed, off + i));
      }
    off += n;
  }
  close(fd);
  if (n < 0 || off != size)
    return fail("%s: read %ld bytes (last read %ld), want %ld", path, off, n,
                size);
  return 0;
}

// Write file `seed`'s first `size` bytes to a new file at path. 0 or a
// failure.
static int make_file(const char *path, int seed, long size) {
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0)
    return fail("cannot create %s", path);
  for (long off = 0; off < size; off += sizeof(buf)) {
    long n = size - off < (long)sizeof(buf) ? size - off : (long)sizeof(buf);
    fill(buf, seed, off, n);
    if (write(fd, buf, n) != n) {
      close(fd);
      return fail("%s: write of %ld bytes at %ld failed", path, n, off);
    }
  }
  close(fd);
  return 0;
}

// fstat of path into st: 0, or -1 if it cannot be opened.
static int stat_path(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int r = fstat(fd, &st);
  close(fd);
  return r;
}

// name = prefix followed by n in decimal.
static void numbered(char *name, const char *prefix, int n) {
  int len = (int)strlen(prefix);
  memcpy(name, prefix, len);
  char digits[12];
  int k = 0;
  do {
    digits[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (k > 0)
    name[len++] = digits[--k];
  name[len] = 0;
}

// Write, read back, overwrite, truncate, with every access mode.
static int test_fileio(void) {
  const char *path = "/t-fileio";
  int fd = open(path, O_CREATE | O_RDWR);
  if (fd < 3)
    return fail("open with O_CREATE gave %d", fd);
  fill(buf, 1, 0, 1000);
  if (write(fd, buf, 1000) != 1000)
    return fail("write of 1000 bytes failed");
  if (fstat(fd, &st) != 0 || st.type != STAT_FILE || st.size != 1000 ||
      st.nlink != 1 || st.inum == 0)
    return fail("fstat: type %d size %lu nlink %d", st.type, st.size, st.nlink);
  close(fd);
  if (check_file(path, 1, 1000, 333))
    return 1;

  // Read-only: no writes; at the end, reads give 0.
  fd = open(path, O_RDONLY);
  if (read(fd, buf2, sizeof(buf2)) != 1000 || read(fd, buf2, 10) != 0)
    return fail("reading to the end and past it");
  if (write(fd, "x", 1) != -1)
    return fail("a write to a read-only descriptor did not fail");
  close(fd);

  // Write-only: no reads; a write at offset 0 overwrites in place.
  fd = open(path, O_WRONLY);
  if (read(fd, buf2, 1) != -1)
    return fail("a read from a write-only descriptor did not fail");
  if (write(fd, "0123456789", 10) != 10)
    return fail("overwriting 10 bytes failed");
  close(fd);
  fd = open(path, O_RDONLY);
  if (read(fd, buf2, 1000) != 1000 || memcmp(buf2, "0123456789", 10) != 0 ||
      memcmp(buf2 + 10, buf + 10, 990) != 0)
    return fail("the overwrite did not land where it should");
  close(fd);

  // O_CREATE keeps an existing file; O_TRUNC empties it.
  if (stat_path(path) != 0 || st.size != 1000)
    return fail("size %lu after reopening, want 1000", st.size);
  fd = open(path, O_CREATE | O_RDONLY);
  if (fd < 0 || fstat(fd, &st) != 0 || st.size != 1000)
    return fail("O_CREATE on an existing file lost its data");
  close(fd);
  fd = open(path, O_WRONLY | O_TRUNC);
  if (fd < 0 || fstat(fd, &st) != 0 || st.size != 0)
    return fail("O_TRUNC left %lu bytes", st.size);
  close(fd);

  // Bad flags; then the file goes, and cannot be opened or removed again.
  if (open(path, 0x1000) != -1 || open(path, O_RDONLY | O_TRUNC) != -1 ||
      open(path, O_ACCMODE) != -1)
    return fail("open with bad flags did not fail");
  if (unlink(path) != 0 || open(path, O_RDONLY) != -1 || unlink(path) != -1)
    return fail("unlink did not remove the file");
  if (open("/t-no-such-file", O_RDONLY) != -1)
    return fail("opening a missing file without O_CREATE did not fail");
  return 0;
}

// dup shares the open file, offset included; the file outlives the
// descriptor closed first.
static int test_dup(void) {
  int fd = open("/t-dup", O_CREATE | O_RDWR);
  int fd2 = dup(fd);
  if (fd < 0 || fd2 != fd + 1)
    return fail("dup gave %d for %d, want the lowest free one", fd2, fd);
  if (write(fd, "ab", 2) != 2 || write(fd2, "cd", 2) != 2)
    return fail("writing through both descriptors failed");
  close(fd);
  if (write(fd2, "e", 1) != 1 || fstat(fd2, &st) != 0 || st.size != 5)
    return fail("after closing the first, size %lu, want 5", st.size);
  close(fd2);
  fd = open("/t-dup", O_RDONLY);
  if (read(fd, buf2, 10) != 5 || memcmp(buf2, "abcde", 5) != 0)
    return fail("the file does not read 'abcde': offsets were not shared");
  close(fd);
  if (fstat(0, &st) != 0 || st.type != STAT_CONSOLE)
    return fail("fstat(0) says type %d, not the console", st.type);
  return unlink("/t-dup") == 0 ? 0 : fail("unlink failed");
}

// Many files in one directory, so that it spans two blocks (128 entries
// a block, "." and ".." included).
#define NMANY 130

static int test_manyfiles(void) {
  char name[40];
  if (mkdir("/t-many") != 0 || chdir("/t-many") != 0)
    return fail("cannot make /t-many and go there");
  for (int i = 0; i < NMANY; i++) {
    numbered(name, "file", i);
    if (make_file(name, i, 100 + i))
      return 1;
  }
  for (int i = 0; i < NMANY; i++) {
    numbered(name, "file", i);
    if (check_file(name, i, 100 + i, 4096))
      return 1;
  }
  if (stat_path(".") != 0 || st.size < NMANY * 32)
    return fail("the directory is %lu bytes for %d entries", st.size, NMANY);
  // Remove every other one, then make them again: freed entries are
  // reused, and the rest are untouched.
  for (int i = 0; i < NMANY; i += 2) {
    numbered(name, "file", i);
    if (unlink(name) != 0)
      return fail("unlink %s failed", name);
  }
  for (int i = 0; i < NMANY; i += 2) {
    numbered(name, "file", i);
    if (make_file(name, i + 1000, 50))
      return 1;
  }
  for (int i = 0; i < NMANY; i++) {
    numbered(name, "file", i);
    if (check_file(name, i % 2 ? i : i + 1000, i % 2 ? 100 + i : 50, 4096) ||
        unlink(name) != 0)
      return fail("%s after reuse", name);
  }
  if (chdir("/") != 0 || unlink("/t-many") != 0)
    return fail("cannot remove the emptied directory");
  return 0;
}

// A file past the 12 direct blocks, into the indirect block, read back
// in odd-sized pieces. (Files of the largest size: test_diskfull.)
#define BIG_SIZE (300 * 4096L + 123)
#define MAX_FILE ((12 + 1024) * 4096L)

static int test_bigfile(void) {
  if (make_file("/t-big", 2, BIG_SIZE) || check_file("/t-big", 2, BIG_SIZE, 5000))
    return 1;
  if (stat_path("/t-big") != 0 || st.size != BIG_SIZE)
    return fail("size %lu, want %ld", st.size, BIG_SIZE);
  return unlink("/t-big") == 0 ? 0 : fail("unlink failed");
}

// Write to the file `name` until a write fails: the bytes it took. 64 KiB
// a write: the kernel makes each one transaction (guest-os/file.c).
static char chunk[65536];

static long fill_file(const char *name) {
  int fd = open(name, O_CREATE | O_WRONLY);
  if (fd < 0)
    return -1;
  long n, got = 0;
  while ((n = write(fd, chunk, sizeof(chunk))) > 0)
    got += n;
  close(fd);
  return got;
}

// A full disk. Fill it with files of the largest size (each must stop at
// exactly that size, but the last, which the full disk stops). Then the
// disk is full: a new file can be made (an inode and an entry, no
// block), but not written. Then unlink gives blocks back: with one full
// file removed, a new file gets exactly as many bytes as it had.
static int test_diskfull(void) {
  char name[40];
  int files = 0;
  long got, total = 0;
  do {
    numbered(name, "/t-full", files++);
    got = fill_file(name);
    total += got > 0 ? got : 0;
    if (got > MAX_FILE || (got < MAX_FILE && files == 1))
      return fail("%s took %ld bytes, the largest file is %ld", name, got,
                  MAX_FILE);
  } while (got == MAX_FILE);
  int fd = open("/t-empty", O_CREATE | O_WRONLY);
  if (fd < 0 || write(fd, "x", 1) != -1)
    return fail("on a full disk: open gave %d, or a write did not fail", fd);
  close(fd);
  if (unlink("/t-full0") != 0 || (got = fill_file("/t-again")) != MAX_FILE)
    return fail("after freeing %ld bytes, a new file took %ld", MAX_FILE, got);
  printf("usertests: diskfull: %ld KiB fit\n", total / 1024);
  unlink("/t-again");
  unlink("/t-empty");
  for (int i = 1; i < files; i++) {
    numbered(name, "/t-full", i);
    if (unlink(name) != 0)
      return fail("cannot remove %s", name);
  }
  return 0;
}

// Directories: mkdir, chdir, relative paths, "." and "..", link counts,
// removal.
static int test_dirs(void) {
  if (stat_path("/") != 0 || st.type != STAT_DIR)
    return fail("/ is not a directory");
  int root_links = st.nlink;
  if (mkdir("/t-dir") != 0 || mkdir("/t-dir") != -1)
    return fail("mkdir, or mkdir of an existing name");
  if (stat_path("/") != 0 || st.nlink != root_links + 1)
    return fail("/ has %d links after mkdir, want %d", st.nlink, root_links + 1);
  if (stat_path("/t-dir") != 0 || st.nlink != 2 || st.size != 64)
    return fail("a new directory: nlink %d size %lu, want 2 and 64", st.nlink,
                st.size);
  // Relative paths, from a current directory.
  if (chdir("/t-dir") != 0 || make_file("a", 3, 10) || mkdir("sub") != 0 ||
      chdir("sub") != 0 || check_file("../a", 3, 10, 10) ||
      check_file("/t-dir//sub/..//a", 3, 10, 10) || chdir("..") != 0 ||
      check_file("./a", 3, 10, 10))
    return fail("relative paths");
  if (stat_path(".") != 0 || st.nlink != 3)
    return fail("with one subdirectory, nlink %d, want 3", st.nlink);
  // A directory reads as its entries: the first is ".", itself.
  int fd = open(".", O_RDONLY);
  if (fd < 0 || fstat(fd, &st) != 0 || read(fd, buf2, 32) != 32 ||
      *(uint32_t *)buf2 != st.inum || strcmp(buf2 + 4, ".") != 0)
    return fail("the first entry of a directory is not '.'");
  close(fd);
  // What may not be done.
  if (open(".", O_WRONLY) != -1 || open("/t-dir", O_CREATE | O_RDWR) != -1)
    return fail("opening a directory to write did not fail");
  if (unlink("/t-dir") != -1 || unlink(".") != -1 || unlink("sub/..") != -1)
    return fail("removing a full directory, '.' or '..' did not fail");
  if (chdir("a") != -1 || chdir("/no-such-dir") != -1 || open("a/x", O_CREATE) != -1)
    return fail("a file used as a directory did not fail");
  if (mkdir("abcdefghijklmnopqrstuvwxyz0123") != -1 ||
      open("abcdefghijklmnopqrstuvwxyz0123", O_CREATE | O_RDWR) != -1)
    return fail("a name of 30 bytes did not fail");
  if (make_file("abcdefghijklmnopqrstuvwxyz01", 4, 1) ||       // 28: fits
      unlink("abcdefghijklmnopqrstuvwxyz01") != 0)
    return fail("a name of 28 bytes");
  // Remove it all, bottom up.
  if (unlink("sub") != 0 || unlink("a") != 0 || chdir("/") != 0 ||
      unlink("/t-dir") != 0)
    return fail("removing the tree failed");
  if (stat_path("/") != 0 || st.nlink != root_links)
    return fail("/ has %d links after rmdir, want %d", st.nlink, root_links);
  // A current directory that is removed takes no new files.
  if (mkdir("/t-gone") != 0 || chdir("/t-gone") != 0 || unlink("/t-gone") != 0)
    return fail("removing the current directory failed");
  if (open("x", O_CREATE | O_RDWR) != -1 || mkdir("y") != -1)
    return fail("a file was created in a removed directory");
  if (chdir("/") != 0)
    return fail("cannot leave the removed directory");
  return 0;
}

// Hard links: two names, one file; the file lives while a name or an
// open descriptor does.
static int test_links(void) {
  if (make_file("/t-l1", 5, 5000) || link("/t-l1", "/t-l2") != 0)
    return fail("link failed");
  if (stat_path("/t-l2") != 0 || st.nlink != 2)
    return fail("nlink %d after link, want 2", st.nlink);
  if (link("/t-l1", "/t-l2") != -1 || link("/", "/t-l3") != -1 ||
      link("/t-nothing", "/t-l3") != -1 || link("/t-l1", "/t-nodir/x") != -1)
    return fail("a bad link did not fail");
  if (stat_path("/t-l1") != 0 || st.nlink != 2)
    return fail("nlink %d after the failed links, want 2", st.nlink);
  if (unlink("/t-l1") != 0 || check_file("/t-l2", 5, 5000, 4096) ||
      stat_path("/t-l2") != 0 || st.nlink != 1)
    return fail("the second name lost the file");
  // Unlinked while open: still there through the descriptor.
  int fd = open("/t-l2", O_RDONLY);
  if (unlink("/t-l2") != 0 || fstat(fd, &st) != 0 || st.nlink != 0 ||
      read(fd, buf2, 5000) != 5000 || buf2[4999] != pattern(5, 4999))
    return fail("an open, unlinked file is not readable");
  close(fd);                         // now it goes (the host checks)
  return 0;
}

// Files that several processes make, fill, read and remove at once, in
// one directory.
static void churn(void) {
  char name[40];
  int me = getpid();
  for (int i = 0; i < 20; i++) {
    numbered(name, "/t-c", me * 100 + i);
    if (make_file(name, me + i, 3000 + i * 500) ||
        check_file(name, me + i, 3000 + i * 500, 1024) || unlink(name) != 0)
      exit(1);
  }
}

static int test_concurrent(void) {
  int pids[4];
  for (int i = 0; i < 4; i++)
    if ((pids[i] = fork()) == 0) {
      churn();
      exit(0);
    }
  for (int i = 0; i < 4; i++) {
    int status;
    if (wait(&status) < 0 || status != 0)
      return fail("a churning child exited with %d", status);
  }
  return 0;
}

// exec reads programs from the disk: by path, and a copy of one.
static void exec_copy(void) {
  char *args[] = {"t-echo", "from", "a", "copy", NULL};
  exec("/t-echo", args);
  exit(9);
}

static int test_execfs(void) {
  char *args[] = {"x", NULL};
  if (exec("/bin", args) != -1 || exec("/README", args) != -1 ||
      exec("/no/such/program", args) != -1)
    return fail("exec of a directory, a text file or nothing did not fail");
  // Copy /bin/echo to /t-echo through read and write, and run the copy.
  int in = open("/bin/echo", O_RDONLY), out = open("/t-echo", O_CREATE | O_WRONLY);
  long n;
  while ((n = read(in, buf, sizeof(buf))) > 0)
    if (write(out, buf, n) != n)
      return fail("copying /bin/echo failed");
  close(in);
  close(out);
  int status = child_status(exec_copy);
  if (status != 0)
    return fail("the copy of echo exited with %d", status);
  return unlink("/t-echo") == 0 ? 0 : fail("unlink failed");
}

// Copy the file `from` over the start of `to` (made if missing; not
// truncated, so that it keeps its blocks, which now hold new bytes). 0,
// or -1.
static int copy_over(const char *from, const char *to) {
  int in = open(from, O_RDONLY), out = open(to, O_CREATE | O_WRONLY);
  long n = 0;
  while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
    if (write(out, buf, n) != n)
      break;
  close(in);
  close(out);
  return in >= 0 && out >= 0 && n == 0 ? 0 : -1;
}

// Push most blocks out of a buffer cache of the log's minimum size or a
// little more (the system tests boot one with bcache-blocks=N): write
// and remove a file of EVICT_BLOCKS blocks. 0, or -1.
#define EVICT_BLOCKS 192
static int evict_cache(void) {
  int fd = open("/t-evict", O_CREATE | O_WRONLY);
  memset(buf, 'e', sizeof(buf));
  for (long done = 0; fd >= 0 && done < EVICT_BLOCKS * 4096L; done += sizeof(buf))
    if (write(fd, buf, sizeof(buf)) != sizeof(buf))
      break;
  close(fd);
  return fd >= 0 && unlink("/t-evict") == 0 ? 0 : -1;
}

static void exec_rewritten(void) {
  char *args[] = {"t-prog", "exec-child", "one", "two three", NULL};
  exec("/t-prog", args);
  exit(9);
}

// exec fills whole pages of program text straight from the disk when the
// buffer cache does not hold their blocks (guest-os/exec.c), and copies
// the cached block when it does, which may be newer than the disk's.
// Rewrite one file's blocks in place, from one program to another and
// back, and run it after each: each time the program just written must
// run (echo exits 0; usertests as exec-child, 42), never a stale page.
// Run it twice: right after the rewrite (its blocks cached), and after
// evict_cache (with a small cache, from the disk).
static int test_execrewrite(void) {
  static const char *progs[] = {"/bin/echo", "/bin/usertests", "/bin/echo",
                                "/bin/usertests"};
  for (int i = 0; i < 4; i++) {
    if (copy_over(progs[i], "/t-prog") < 0)
      return fail("copying %s to /t-prog failed", progs[i]);
    int want = i % 2 == 0 ? 0 : 42;
    for (int k = 0; k < 2; k++) {
      if (k == 1 && evict_cache() < 0)
        return fail("writing /t-evict failed");
      int status = child_status(exec_rewritten);
      if (status != want)
        return fail("/t-prog, just rewritten as %s, exited with %d, want %d",
                    progs[i], status, want);
    }
  }
  return unlink("/t-prog") == 0 ? 0 : fail("unlink failed");
}

// The data file mkfs put on the disk.
static int test_readme(void) {
  int fd = open("/README", O_RDONLY);
  const char *first = "guest-os: the disk\n";
  if (fd < 0 || read(fd, buf2, strlen(first)) != (long)strlen(first) ||
      memcmp(buf2, first, strlen(first)) != 0)
    return fail("/README does not start with %s", first);
  close(fd);
  return 0;
}

// ---- Pipes (no disk needed) ----

#define PIPE_BYTES 20000

// Write PIPE_BYTES of pattern 6 to descriptor 4 in pieces of 77 bytes.
static void pipe_writer(void) {
  for (long off = 0; off < PIPE_BYTES; off += 77) {
    long n = PIPE_BYTES - off < 77 ? PIPE_BYTES - off : 77;
    fill(buf, 6, off, n);
    if (write(4, buf, n) != n)
      exit(1);
  }
}

static int test_pipes(void) {
  int fds[2];
  if (pipe(fds) != 0 || fds[0] != 3 || fds[1] != 4)
    return fail("pipe gave %d and %d, want 3 and 4", fds[0], fds[1]);
  if (fstat(3, &st) != 0 || st.type != STAT_PIPE)
    return fail("fstat on a pipe says type %d", st.type);
  int pid = fork();
  if (pid == 0) {
    close(3);
    pipe_writer();
    exit(0);
  }
  // The reader must close its own write end, or it never sees the end.
  close(4);
  long off = 0, n;
  while ((n = read(3, buf2, 1000)) > 0) {
    for (long i = 0; i < n; i++)
      if (buf2[i] != pattern(6, off + i))
        return fail("byte %ld from the pipe is wrong", off + i);
    off += n;
  }
  int status;
  if (n != 0 || off != PIPE_BYTES || wait(&status) != pid || status != 0)
    return fail("read %ld of %d bytes (last read %ld)", off, PIPE_BYTES, n);
  close(3);

  // No reader left: a write fails (and does not block).
  if (pipe(fds) != 0)
    return fail("second pipe failed");
  close(fds[0]);
  if (write(fds[1], "x", 1) != -1)
    return fail("a write with no reader did not fail");
  if (read(fds[1], buf2, 1) != -1)
    return fail("a read from the write end did not fail");
  close(fds[1]);
  return 0;
}

// ---- Bad descriptors and pointers for the file calls ----

static int test_filebad(void) {
  int bad[] = {-1, 3, 15, 16, 1000};
  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (close(bad[i]) != -1 || dup(bad[i]) != -1 || fstat(bad[i], &st) != -1)
      return fail("close, dup or fstat of fd %d did not fail", bad[i]);
  void *ptrs[] = {(void *)KERNEL_ADDR, NULL, (void *)UNMAPPED, (void *)-1L};
  for (unsigned i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
    if (fstat(1, ptrs[i]) != -1 || pipe(ptrs[i]) != -1 ||
        open(ptrs[i], O_RDONLY) != -1 || open(ptrs[i], O_CREATE | O_RDWR) != -1 ||
        mkdir(ptrs[i]) != -1 || unlink(ptrs[i]) != -1 || chdir(ptrs[i]) != -1 ||
        link(ptrs[i], "/x") != -1 || link("/README", ptrs[i]) != -1 ||
        exec(ptrs[i], NULL) != -1)
      return fail("a file call with pointer %p did not fail", ptrs[i]);
  }
  if (pipe((int *)test_filebad) != -1)
    return fail("pipe into read-only memory did not fail");
  // A path longer than the kernel takes (MAX_PATH, 128 bytes).
  char longpath[200];
  memset(longpath, 'a', sizeof(longpath) - 1);
  longpath[sizeof(longpath) - 1] = 0;
  if (open(longpath, O_CREATE | O_RDWR) != -1 || mkdir(longpath) != -1)
    return fail("a 199-byte path did not fail");
  // Reading into, or writing from, a bad buffer through a disk file (or
  // a pipe) fails and changes nothing.
  int fd = open("/README", O_RDONLY), fds[2];
  if (fd >= 0 && (read(fd, (void *)KERNEL_ADDR, 10) != -1 ||
                  read(fd, (void *)test_filebad, 10) != -1))
    return fail("reading a file into a bad buffer did not fail");
  close(fd);
  fd = open("/t-bad", O_CREATE | O_RDWR);
  if (fd >= 0 && (write(fd, (void *)UNMAPPED, 10) != -1 ||
                  fstat(fd, &st) != 0 || st.size != 0))
    return fail("writing a file from a bad buffer did not fail cleanly");
  close(fd);
  unlink("/t-bad");
  if (pipe(fds) != 0 || write(fds[1], (void *)UNMAPPED, 5) != -1 ||
      read(fds[0], (void *)KERNEL_ADDR, 5) != -1)
    return fail("a pipe with a bad buffer did not fail");
  close(fds[0]);
  close(fds[1]);
  // Run out of descriptors, and recover. With one left, pipe (which
  // needs two) must fail without keeping that one.
  int n = 0;
  while (dup(1) >= 0)
    n++;
  if (n != 13)                       // 16 descriptors, 0-2 taken
    return fail("%d dups before the table was full, want 13", n);
  close(15);
  if (pipe(fds) != -1 || dup(1) != 15)
    return fail("a pipe with one free descriptor did not fail cleanly");
  for (int i = 3; i < 16; i++)
    close(i);
  if (dup(1) != 3)
    return fail("descriptors did not come back");
  close(3);
  return 0;
}

// ---- malloc and free (the user library, guest-os/user/ulib.c) ----

// Blocks are aligned, do not overlap, come back after free (merged with
// their neighbours, so a big block fits where small ones were), and an
// impossible size is NULL, not a crash.
static int test_malloc(void) {
  enum { N = 64 };
  char *p[N];
  for (int i = 0; i < N; i++) {
    p[i] = malloc(100 + i * 37);
    if (p[i] == NULL || (uintptr_t)p[i] % 16 != 0)
      return fail("malloc %d gave %p", i, p[i]);
    memset(p[i], i, 100 + i * 37);
  }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < 100 + i * 37; j++)
      if (p[i][j] != (char)i)
        return fail("block %d was overwritten at byte %d", i, j);
  char *brk0 = sbrk(0);
  for (int i = 0; i < N; i++)
    free(p[i]);
  // All of it is one free run again: a block of the sum fits without
  // growing the heap.
  char *big = malloc(N * 100);
  if (big == NULL || sbrk(0) != brk0)
    return fail("freed blocks were not merged and reused");
  free(big);
  if (malloc((size_t)1 << 50) != NULL)
    return fail("malloc of 2^50 bytes did not fail");
  free(NULL);
  return 0;
}

// ---- parse_number (the user library) ----

// Whole numbers are read, anything else is refused, and a refusal leaves
// the value alone (the callers keep their defaults in it).
static int test_parse(void) {
  long v = 0;
  if (parse_number("42", &v) != 0 || v != 42 ||
      parse_number("-7", &v) != 0 || v != -7 ||
      parse_number("0", &v) != 0 || v != 0)
    return fail("a number was not read right (last value %ld)", v);
  static const char *bad[] = {"", "-", "12x", "x12", " 1", "1 ", "+3"};
  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    v = 99;
    if (parse_number(bad[i], &v) != -1 || v != 99)
      return fail("\"%s\" was taken for a number", bad[i]);
  }
  return 0;
}

// ---- Crash recovery (two boots; see tests/system/test_guest_os.py) ----
//
// Boot 1 runs "usertests crash-write" with fscrash=5, which powers the
// machine off as soon as this boot's transaction 5 is committed, before
// it is installed. The transactions: 1 creates /crash-orphan, 2 writes
// it, 3 unlinks it while it is open (its inode and block stay until the
// close, which never comes), 4 creates /crash-file, 5 writes 12 KiB to
// it. Boot 2 (no fscrash) replays transaction 5 and frees the orphan at
// mount; "usertests crash-check" then finds the 12 KiB whole.
#define CRASH_FILE "/crash-file"
#define CRASH_SIZE (3 * 4096L)

static int crash_write(void) {
  int orphan = open("/crash-orphan", O_CREATE | O_RDWR);
  if (orphan < 0 || write(orphan, buf, 4096) != 4096 ||
      unlink("/crash-orphan") != 0) {
    printf("usertests: crash-write: FAILED: cannot make the orphan\n");
    return 1;
  }
  int fd = open(CRASH_FILE, O_CREATE | O_WRONLY);
  fill(buf, 7, 0, CRASH_SIZE);
  if (fd < 0 || write(fd, buf, CRASH_SIZE) != CRASH_SIZE)
    printf("usertests: crash-write: FAILED: cannot write %s\n", CRASH_FILE);
  else
    printf("usertests: crash-write: FAILED: still running after the write "
           "(boot with fscrash=5)\n");
  return 1;
}

static int crash_check(void) {
  current = "crash-check";
  if (check_file(CRASH_FILE, 7, CRASH_SIZE, 4096) || unlink(CRASH_FILE) != 0)
    return 1;
  printf("usertests: crash-check: ok\n");
  return 0;
}

// The tests, in order; `disk`: needs a file system (skipped without one).
static struct {
  const char *name;
  int (*fn)(void);
  int disk;
} tests[] = {
    {"forkwait", test_forkwait, 0},   {"getpid", test_getpid, 0},
    {"forkcopy", test_forkcopy, 0},   {"sbrk", test_sbrk, 0},
    {"badptr", test_badptr, 0},       {"badfd", test_badfd, 0},
    {"kill", test_kill, 0},           {"sleep", test_sleep, 0},
    {"exec", test_exec, 0},           {"faults", test_faults, 0},
    {"procfull", test_procfull, 0},   {"oom", test_oom, 0},
    {"pipes", test_pipes, 0},         {"malloc", test_malloc, 0},
    {"parse", test_parse, 0},
    {"filebad", test_filebad, 1},
    {"fileio", test_fileio, 1},       {"dup", test_dup, 1},
    {"manyfiles", test_manyfiles, 1}, {"bigfile", test_bigfile, 1},
    {"dirs", test_dirs, 1},           {"links", test_links, 1},
    {"execfs", test_execfs, 1},       {"execrewrite", test_execrewrite, 1},
    {"readme", test_readme, 1},
    {"concurrent", test_concurrent, 1}, {"diskfull", test_diskfull, 1},
};

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
    return exec_child(argc, argv);
  if (argc > 1 && strcmp(argv[1], "crash-write") == 0)
    return crash_write();
  if (argc > 1 && strcmp(argv[1], "crash-check") == 0)
    return crash_check();
  // `usertests NAME...` runs only the tests named (as xv6's does).
  for (int a = 1; a < argc; a++) {
    int known = 0;
    for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
      known = known || strcmp(argv[a], tests[i].name) == 0;
    if (!known) {
      printf("usertests: no test named %s\n", argv[a]);
      return 1;
    }
  }
  int passed = 0, failed = 0, skipped = 0;
  // Is there a file system? Its root can always be opened to read.
  int root = open("/", O_RDONLY);
  if (root >= 0)
    close(root);
  printf("usertests: starting (pid %d)\n", getpid());
  for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
    current = tests[i].name;
    int named = argc == 1;
    for (int a = 1; a < argc; a++)
      named = named || strcmp(argv[a], current) == 0;
    if (!named)
      continue;
    if (tests[i].disk && root < 0) {
      skipped++;
      continue;
    }
    long t0 = uptime();
    if (tests[i].fn() == 0) {
      printf("usertests: %s: ok %ld\n", current, uptime() - t0);
      passed++;
    } else {
      failed++;
    }
  }
  if (skipped > 0)
    printf("usertests: %d file-system tests skipped: no file system\n",
           skipped);
  printf("usertests: %d passed, %d failed\n", passed, failed);
  return failed;
}
