// guest-os/user/hello.c: a demo of console input, run from the shell
// (`hello`). It says hello, then echoes every line typed at the
// console, which shows console input working end to end: UART receive
// interrupt, PLIC, line editing in the kernel, a process waking up in
// read(). Ctrl-D (end of file) ends it.
#include "guest-os/user/ulib.h"

int main(int argc, char **argv) {
  printf("hello: guest-os is running (pid %d, uptime %ld ticks)\n", getpid(),
         uptime());
  char line[128];
  for (;;) {
    printf("hello: type a line (Ctrl-D to stop): ");
    long n = readline(0, line, sizeof(line));
    if (n <= 0)
      break;
    if (line[n - 1] == '\n')
      line[--n] = 0;
    printf("hello: you typed '%s' (%ld bytes)\n", line, n);
  }
  printf("\nhello: goodbye\n");
  return 0;
}
