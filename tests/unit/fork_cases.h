// tests/unit/fork_cases.h: run each case of a host test in a child
// process of its own, on a fresh machine.
//
// For tests whose code under test keeps static state (the memmap, the
// block cache) or may panic (a lab handout's stub): each case gets a new
// process, set up by the test's boot function, so no case sees another's
// leftovers and a panic or a crash fails that case alone. Each case prints
// one line, as unit.h's do:
//
//     ok   fault_fills_page
//     FAIL cow_copies: panic: lab 3: pmap_cow not implemented
#ifndef TESTS_UNIT_FORK_CASES_H
#define TESTS_UNIT_FORK_CASES_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/host_stubs.h"
#include "tests/unit/unit.h"

struct fork_case {
  const char *name;
  void (*fn)(void);
};

// Run case c in a child, after boot(); print its line. Returns 0 if it
// passed, 1 if not. The child exits 0 when the case passed and 3 when it
// printed its FAIL line; any other end (a sanitizer report, a signal) is a
// crash, reported here.
static int fork_case_run(const struct fork_case *c, void (*boot)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    unit_case_name = c->name;
    boot();
    if (PANICS(c->fn())) {
      printf("FAIL %s: panic: %s\n", c->name, panic_message);
      unit_case_failed = 1;
    } else if (!unit_case_failed) {
      printf("ok   %s\n", c->name);
    }
    fflush(stdout);
    _exit(unit_case_failed ? 3 : 0);
  }
  int status;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    return 1;
  printf("FAIL %s: crashed (%s %d): see the report above\n", c->name,
         WIFSIGNALED(status) ? "signal" : "exit status",
         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  return 1;
}

// The body of main: run the cases named on the command line (every case
// if none is). Returns main's exit status.
static int fork_cases_main(int argc, char **argv, const struct fork_case *cases, int n,
                           void (*boot)(void)) {
  int failed = 0;
  (void)unit_failed_cases;             // unit.h's counter: we count here
  for (int i = 0; i < n; i++) {
    bool wanted = argc == 1;
    for (int a = 1; a < argc; a++)
      wanted |= strcmp(argv[a], cases[i].name) == 0;
    if (wanted)
      failed += fork_case_run(&cases[i], boot);
  }
  return failed ? 1 : 0;
}

#endif
