// guest-os/user/init.c: the first process.
//
// The kernel starts init with argv = {"init", <the boot arguments>}.
// With autorun=COMMAND among them (autorun=usertests, or with quotes
// for a command with arguments: autorun="echo hi there"), init runs that
// command, and when it exits prints "guest-os: autorun exit N" (its exit
// status) and powers the machine off: that is how tests, graders and
// benchmarks run guest-os without a person at the console. Without
// autorun it runs the demo program, hello, and then powers off (a later
// step runs a shell instead).
//
// init is also every orphan's parent (the kernel gives it the children
// of processes that exit), so it reaps whatever exits while it waits.
#include "guest-os/user/ulib.h"

#define MAXWORDS 16

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

// Split cmd at its spaces, in place, into argv (ended by NULL).
static void split(char *cmd, char *argv[MAXWORDS]) {
  int n = 0;
  for (char *s = cmd; *s && n < MAXWORDS - 1;) {
    while (*s == ' ')
      *s++ = 0;
    if (*s == 0)
      break;
    argv[n++] = s;
    while (*s && *s != ' ')
      s++;
  }
  argv[n] = NULL;
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
  char *words[MAXWORDS];

  if (find_autorun(bootargs, cmd, sizeof(cmd))) {
    split(cmd, words);
    int status = run(words);
    printf("guest-os: autorun exit %d\n", status);
    poweroff(status);
  } else {
    printf("init: no autorun= in the boot arguments; running the demo\n");
    char *demo[] = {"hello", NULL};
    int status = run(demo);
    printf("init: the demo exited with status %d; no shell yet, so "
           "that is all\n", status);
    poweroff(0);
  }
  printf("init: poweroff failed\n");
  for (;;)
    wait(NULL);
}
