// guest-os/user/pmake.c: the pmake workload, a parallel build.
//
//     pmake [-jN] [NFILES]          (defaults: -j4, 48 files)
//     pmake -g DIR [NFILES]         only write the sources, into DIR; keep them
//     pmake [-jN] -s DIR [NFILES]   build the sources already in DIR
//
// Models Disco's "Pmake" (Disco section 5.1: a parallel make of the
// IRIX sources, with a compiler process per file). What makes that
// workload hard for a monitor is that most of its time is the kernel's:
// forks, execs and exits, opening, reading and writing many small files,
// page faults on fresh address spaces. Those are the operations that
// trap to the monitor or touch its virtual devices, so they are what
// pmake is made of here too:
//
//   1. In a fresh directory /pmake-PID, write NFILES source files in
//      cc's little language, generated from a fixed seed (so every run
//      builds the same program), with calls from file to file.
//   2. Compile them, N at a time: fork a child per file that execs
//      `cc SOURCE OBJECT`, and start the next as each one exits.
//   3. Link: write the list of objects and run `ld a.out LIST`.
//   4. Read a.out back and print its checksum; then remove every file,
//      and the directory, so the disk is as before (pmake runs again and
//      again on one disk; a directory an interrupted run left is emptied
//      and used again).
//
// With -s DIR, step 1 is skipped: the compilers read DIR/s000.c ... as
// -g DIR left them (the same sources), and only pmake's own files are
// removed. That is Disco's Pmake more closely: its compilers read sources
// that were already on a disk every VM shares (Disco 5.3, figure 6), so
// VMs booted from one copy-on-write disk share them too (lab 3), where
// generated sources are each VM's own writes.
//
// The last line is "pmake: checksum 0x... (N files, jobs J) in T us"
// (microseconds, from the time CSR).
// The checksum is a hash of a.out, which depends only on NFILES: not on
// -j, the number of harts, or the order in which the jobs finished.
#include "guest-os/user/ulib.h"

#define MAX_FILES   256
#define FUNCS       8                 // functions in each source file
#define VARS        32                // variables each file uses
#define SRC_MAX     (32 * 1024)       // bytes of one source file, at most

#define NAME_MAX    64                // bytes of a file name, with its folder

static char dir[32];                  // /pmake-PID
static const char *srcdir;            // -s or -g DIR; NULL: the sources are in dir
static int nfiles;

// A small deterministic random number generator (xorshift64*), so the
// sources are the same in every run.
static uint64_t rng_state;

static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

static int below(int n) { return (int)(rng() % (uint64_t)n); }

// ---- Building strings (the library has no sprintf) ----

struct str {
  char *buf;
  int len, cap;
};

static void add(struct str *s, const char *text) {
  for (; *text && s->len < s->cap - 1; text++)
    s->buf[s->len++] = *text;
  s->buf[s->len] = 0;
}

static void add_num(struct str *s, long v) {
  char tmp[24];
  int n = sizeof(tmp) - 1;
  tmp[n] = 0;
  do {
    tmp[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  add(s, tmp + n);
}

// name = PREFIX + n as 3 digits + SUFFIX, e.g. "s007.c".
static void file_name(char *name, const char *prefix, int n, const char *suffix) {
  struct str s = {name, 0, 16};
  add(&s, prefix);
  char digits[4] = {(char)('0' + n / 100), (char)('0' + n / 10 % 10),
                    (char)('0' + n % 10), 0};
  add(&s, digits);
  add(&s, suffix);
}

// ---- Step 1: the sources ----

// One operand: a variable, a constant, or a call to any function of any
// file (so the link step has references to resolve across files).
static void gen_operand(struct str *s) {
  int kind = below(10);
  if (kind < 5) {
    add(s, "v");
    add_num(s, below(VARS));
  } else if (kind < 9) {
    add_num(s, below(1000));
  } else {
    add(s, "@f");
    add_num(s, below(nfiles));
    add(s, "_");
    add_num(s, below(FUNCS));
  }
}

// Source file i: FUNCS functions f<i>_<k> of 10 to 40 statements each.
static void gen_source(struct str *s, int i) {
  static const char ops[] = "+-*&|^";
  rng_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)(i + 1) * 0x100000001b3ull;
  s->len = 0;
  for (int f = 0; f < FUNCS; f++) {
    add(s, "func f");
    add_num(s, i);
    add(s, "_");
    add_num(s, f);
    add(s, " {\n");
    for (int n = 10 + below(31); n > 0; n--) {
      add(s, "  v");
      add_num(s, below(VARS));
      add(s, " = ");
      gen_operand(s);
      for (int k = below(6); k > 0; k--) {
        char op[4] = {' ', ops[below(6)], ' ', 0};
        add(s, op);
        gen_operand(s);
      }
      add(s, " ;\n");
    }
    add(s, "}\n");
  }
}

static int write_file(const char *name, const char *data, long n) {
  int fd = open(name, O_WRONLY | O_CREATE | O_TRUNC);
  if (fd < 0)
    return -1;
  long w = write(fd, data, n);
  close(fd);
  return w == n ? 0 : -1;
}

// Source file i's name: s007.c in the current folder, or DIR/s007.c.
static void source_name(char *name, int i) {
  struct str s = {name, 0, NAME_MAX};
  if (srcdir != NULL) {
    add(&s, srcdir);
    add(&s, "/");
  }
  char base[16];
  file_name(base, "s", i, ".c");
  add(&s, base);
}

static int write_sources(void) {
  struct str s = {malloc(SRC_MAX), 0, SRC_MAX};
  if (s.buf == NULL)
    return -1;
  for (int i = 0; i < nfiles; i++) {
    char name[NAME_MAX];
    gen_source(&s, i);
    source_name(name, i);
    if (s.len >= SRC_MAX - 1 || write_file(name, s.buf, s.len) < 0) {
      fprintf(2, "pmake: cannot write %s\n", name);
      free(s.buf);
      return -1;
    }
  }
  free(s.buf);
  return 0;
}

// ---- Steps 2 and 3: the jobs ----

// Start `argv` in a child; its pid, or -1.
static int start(char **argv) {
  int pid = fork();
  if (pid == 0) {
    exec(argv[0], argv);
    fprintf(2, "pmake: cannot run %s\n", argv[0]);
    exit(127);
  }
  return pid;
}

// Compile every source, with at most `jobs` compilers running at once.
// 0 if every one exited with 0.
static int compile_all(int jobs) {
  static int job_file[MAX_FILES];     // which file each running job has
  static int job_pid[MAX_FILES];
  int next = 0, running = 0, failed = 0;
  while ((next < nfiles && !failed) || running > 0) {
    // Fill the free job slots (none after a failure: let the rest end).
    while (running < jobs && next < nfiles && !failed) {
      char src[NAME_MAX], obj[16];
      source_name(src, next);
      file_name(obj, "s", next, ".o");
      char *argv[] = {"cc", src, obj, NULL};
      int pid = start(argv);
      if (pid < 0) {
        fprintf(2, "pmake: fork failed\n");
        failed = 1;
        break;
      }
      job_pid[running] = pid;
      job_file[running++] = next++;
    }
    if (running == 0)
      break;
    int status, pid = wait(&status);
    int j = 0;
    while (j < running && job_pid[j] != pid)
      j++;
    if (j == running) {
      fprintf(2, "pmake: wait returned %d, not one of my jobs\n", pid);
      return -1;
    }
    if (status != 0) {
      char src[NAME_MAX];
      source_name(src, job_file[j]);
      fprintf(2, "pmake: cc of %s exited with status %d\n", src, status);
      failed = 1;
    }
    // The last slot's job takes the finished one's slot.
    running--;
    job_pid[j] = job_pid[running];
    job_file[j] = job_file[running];
  }
  return failed ? -1 : 0;
}

// Write the list of objects, and run ld over it. 0 if ld exited with 0.
static int link_all(void) {
  struct str s = {malloc(MAX_FILES * 8), 0, MAX_FILES * 8};
  if (s.buf == NULL)
    return -1;
  for (int i = 0; i < nfiles; i++) {
    char obj[16];
    file_name(obj, "s", i, ".o\n");
    add(&s, obj);
  }
  int r = write_file("objects", s.buf, s.len);
  free(s.buf);
  if (r < 0) {
    fprintf(2, "pmake: cannot write the list of objects\n");
    return -1;
  }
  char *argv[] = {"ld", "a.out", "objects", NULL};
  int status;
  if (start(argv) < 0 || wait(&status) < 0 || status != 0) {
    fprintf(2, "pmake: ld failed\n");
    return -1;
  }
  return 0;
}

// ---- Step 4: the result ----

// The FNV-1a hash of a file's bytes, in *sum. 0, or -1 if unreadable.
static int checksum_file(const char *name, uint64_t *sum) {
  static char buf[4096];
  int fd = open(name, O_RDONLY);
  if (fd < 0)
    return -1;
  uint64_t h = 14695981039346656037ull;
  long n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    for (long i = 0; i < n; i++)
      h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
  close(fd);
  *sum = h;
  return n < 0 ? -1 : 0;
}

// Remove everything pmake made, and its directory (but sources it did
// not write: -s). Files that were never made are skipped silently.
static void clean_up(void) {
  for (int i = 0; i < nfiles; i++) {
    char name[16];
    file_name(name, "s", i, ".c");
    if (srcdir == NULL)
      unlink(name);
    file_name(name, "s", i, ".o");
    unlink(name);
  }
  unlink("objects");
  unlink("a.out");
  chdir("/");
  if (unlink(dir) < 0)
    fprintf(2, "pmake: cannot remove %s\n", dir);
}

// Make /pmake-PID and go into it. A run that was interrupted (the machine
// stopped mid-run) leaves its directory behind, and a pmake of the next
// boot may get the same pid: then the directory is emptied and used
// again. 0, or -1.
static int make_dir(void) {
  if (mkdir(dir) == 0)
    return chdir(dir);
  if (empty_dir(dir) != 0)
    return -1;
  fprintf(2, "pmake: %s was left by an interrupted run: emptied it\n", dir);
  return chdir(dir);
}

// -g DIR: write the sources into DIR (made if it is not there) and keep
// them, for a later `pmake -s DIR`. 0, or 1.
static int generate_only(void) {
  int fd = open(srcdir, O_RDONLY);     // there already?
  if (fd >= 0)
    close(fd);
  if (fd < 0 && mkdir(srcdir) < 0) {
    fprintf(2, "pmake: cannot make %s\n", srcdir);
    return 1;
  }
  if (write_sources() < 0)
    return 1;
  printf("pmake: wrote %d sources in %s\n", nfiles, srcdir);
  return 0;
}

int main(int argc, char **argv) {
  long jobs = 4, files = 48;
  int bad = 0, generate = 0;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "-j", 2) == 0) {
      bad |= parse_number(argv[i] + 2, &jobs);
    } else if ((strcmp(argv[i], "-g") == 0 || strcmp(argv[i], "-s") == 0) &&
               i + 1 < argc) {
      generate = argv[i][1] == 'g';
      srcdir = argv[++i];
      bad |= srcdir[0] == 0 || strlen(srcdir) > NAME_MAX - 16;
    } else {
      bad |= parse_number(argv[i], &files);
    }
  }
  nfiles = files < 0 || files > MAX_FILES ? 0 : (int)files;
  if (bad || jobs < 1 || jobs > MAX_FILES || nfiles < 1 || nfiles > MAX_FILES) {
    fprintf(2, "usage: pmake [-jN] [-g DIR | -s DIR] [NFILES]  (1 to %d of each)\n",
            MAX_FILES);
    return 2;
  }
  if (generate)
    return generate_only();
  uint64_t t0 = uptime_us();

  struct str d = {dir, 0, sizeof(dir)};
  add(&d, "/pmake-");
  add_num(&d, getpid());
  if (make_dir() < 0) {
    fprintf(2, "pmake: cannot make %s\n", dir);
    return 1;
  }
  uint64_t sum = 0;
  int ok = (srcdir != NULL || write_sources() == 0) && compile_all(jobs) == 0 &&
           link_all() == 0;
  if (ok && checksum_file("a.out", &sum) < 0) {
    fprintf(2, "pmake: cannot read a.out\n");
    ok = 0;
  }
  clean_up();
  if (!ok) {
    printf("pmake: FAILED\n");
    return 1;
  }
  printf("pmake: checksum 0x%016lx (%d files, jobs %ld) in %lu us\n", sum,
         nfiles, jobs, uptime_us() - t0);
  return 0;
}
