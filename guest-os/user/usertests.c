// guest-os/user/usertests.c: the kernel's own test suite, run from user
// mode (boot with autorun=usertests).
//
// Each test exercises system calls the way a careless or hostile program
// would, and checks the kernel's answers: statuses passed from exit to
// wait, memory copied by fork and grown by sbrk, -1 (never a crash) for
// bad pointers and bad file descriptors, processes killed for touching
// what is not theirs while the kernel carries on, a full process table
// and exhausted memory both recovered from. Each test prints one line,
//     usertests: NAME: ok        or   usertests: NAME: FAILED: why
// and the last line counts them: "usertests: N passed, M failed". The
// exit status is M. A line "guest-os: pid N (...) killed: ..." from the
// kernel is expected wherever a test makes a child misbehave on purpose.
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

static struct {
  const char *name;
  int (*fn)(void);
} tests[] = {
    {"forkwait", test_forkwait}, {"getpid", test_getpid},
    {"forkcopy", test_forkcopy}, {"sbrk", test_sbrk},
    {"badptr", test_badptr},     {"badfd", test_badfd},
    {"kill", test_kill},         {"sleep", test_sleep},
    {"exec", test_exec},         {"faults", test_faults},
    {"procfull", test_procfull}, {"oom", test_oom},
};

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
    return exec_child(argc, argv);
  int passed = 0, failed = 0;
  printf("usertests: starting (pid %d)\n", getpid());
  for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
    current = tests[i].name;
    if (tests[i].fn() == 0) {
      printf("usertests: %s: ok\n", current);
      passed++;
    } else {
      failed++;
    }
  }
  printf("usertests: %d passed, %d failed\n", passed, failed);
  return failed;
}
