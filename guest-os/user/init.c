// guest-os/user/init.c: the first process.
//
// The kernel starts init with argv = {"init", <the boot arguments>}.
// With autorun=COMMAND among them (autorun=usertests, or with quotes for
// a command line with blanks: autorun="ls / | wc"), init runs the line
// through the shell, `sh -c COMMAND` (so it may hold pipes, redirections
// and ';'), and when the shell exits prints "guest-os: autorun exit N"
// (its exit status, which is the last command's) and powers the machine
// off: that is how tests, graders and benchmarks run guest-os without a
// person at the console. Without autorun, init runs an interactive shell
// on the console, and powers off when it exits (Ctrl-D, or `exit`).
//
// init is also every orphan's parent (the kernel gives it the children
// of processes that exit), so it reaps whatever exits while it waits.
#include "guest-os/user/ulib.h"

// Copy the value of autorun= from the boot arguments into cmd (at most
// n bytes with the NUL). 1 if there was one, else 0.
static int find_autorun(const char *args, char *cmd, int n) {
  static const char key[] = "autorun=";
  for (const char *s = args; *s; s++) {
    if ((s != args && s[-1] != ' ') || strncmp(s, key, sizeof(key) - 1) != 0)
      continue;
    s += sizeof(key) - 1;
    char end = ' ';
    if (*s == '"')
      end = '"', s++;
    int len = 0;
    while (s[len] && s[len] != end && len < n - 1)
      len++;
    memcpy(cmd, s, len);
    cmd[len] = 0;
    return 1;
  }
  return 0;
}

// Run argv in a child; return its exit status once it has exited,
// reaping any orphan that exits meanwhile. 127 if it cannot be run.
static int run(char *argv[]) {
  if (argv[0] == NULL)
    return 127;
  int pid = fork();
  if (pid < 0) {
    printf("init: fork failed\n");
    return 127;
  }
  if (pid == 0) {
    exec(argv[0], argv);
    printf("init: cannot run '%s': no such program\n", argv[0]);
    exit(127);
  }
  int status, w;
  while ((w = wait(&status)) != pid)
    if (w < 0)
      return 127;                // cannot happen: pid is our child
  return status;
}

int main(int argc, char **argv) {
  const char *bootargs = argc > 1 ? argv[1] : "";
  char cmd[256];

  if (find_autorun(bootargs, cmd, sizeof(cmd))) {
    char *sh[] = {"sh", "-c", cmd, NULL};
    int status = run(sh);
    printf("guest-os: autorun exit %d\n", status);
    poweroff(status);
  } else {
    char *sh[] = {"sh", NULL};
    int status = run(sh);
    printf("init: the shell exited (status %d); powering off\n", status);
    poweroff(0);
  }
  printf("init: poweroff failed\n");
  for (;;)
    wait(NULL);
}
