// guest-os/user/kill.c: kill PID...: kill each process. It exits at its
// next return to user mode or wakeup, with status -1 (its parent's wait
// says so). init cannot be killed.
#include "guest-os/user/ulib.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: kill PID...\n");
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    long pid;
    if (parse_number(argv[i], &pid) < 0 || pid < 0) {
      fprintf(2, "kill: %s: not a process id\n", argv[i]);
      status = 1;
    } else if (kill((int)pid) < 0) {
      fprintf(2, "kill: %s: no such process\n", argv[i]);
      status = 1;
    }
  }
  return status;
}
