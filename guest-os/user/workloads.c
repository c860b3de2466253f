// guest-os/user/workloads.c: run the three Disco workloads one after
// another (boot with autorun=workloads).
//
//     workloads                    test sizes: a few seconds each
//
// Runs pmake, engineering and database (see each for what it models
// from Disco section 5.1) at sizes small enough for `make test`, each in
// its own child, and says how each ended. Each workload prints its own
// "NAME: checksum 0x..." line, which the tests compare between bare
// runs and runs in a VM, and between different numbers of harts. The
// last line is "workloads: N passed, M failed"; the exit status is M.
// The benchmark (tools/bench.py) runs each workload alone instead, at
// its default size.
#include "guest-os/user/ulib.h"

static char *pmake_argv[] = {"pmake", "-j4", "32", NULL};
static char *engineering_argv[] = {"engineering", "4", NULL};
static char *database_argv[] = {"database", "800", NULL};
static char **programs[] = {pmake_argv, engineering_argv, database_argv};

#define NPROGRAMS (int)(sizeof(programs) / sizeof(programs[0]))

// Run argv in a child and wait for it; its exit status (127 if it could
// not be run, -1 if fork failed).
static int run(char **argv) {
  int pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    exec(argv[0], argv);
    fprintf(2, "workloads: cannot run %s\n", argv[0]);
    exit(127);
  }
  int status;
  if (wait(&status) != pid)
    return -1;
  return status;
}

int main(void) {
  int failed = 0;
  for (int i = 0; i < NPROGRAMS; i++) {
    int status = run(programs[i]);
    if (status != 0) {
      printf("workloads: %s FAILED with status %d\n", programs[i][0], status);
      failed++;
    }
  }
  printf("workloads: %d passed, %d failed\n", NPROGRAMS - failed, failed);
  return failed;
}
