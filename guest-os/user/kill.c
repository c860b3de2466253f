// guest-os/user/kill.c: kill PID...: kill each process. It exits at its
// next return to user mode or wakeup, with status -1 (its parent's wait
// says so). init cannot be killed.
#include "guest-os/user/ulib.h"

// Is s a number of decimal digits?
static int is_pid(const char *s) {
  if (*s == 0)
    return 0;
  for (; *s; s++)
    if (!isdigit(*s))
      return 0;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: kill PID...\n");
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (!is_pid(argv[i])) {
      fprintf(2, "kill: %s: not a process id\n", argv[i]);
      status = 1;
    } else if (kill((int)atol(argv[i])) < 0) {
      fprintf(2, "kill: %s: no such process\n", argv[i]);
      status = 1;
    }
  }
  return status;
}
