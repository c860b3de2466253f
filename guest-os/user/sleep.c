// guest-os/user/sleep.c: sleep N: do nothing for N seconds (a whole
// number), then exit 0. Killing it ends the wait at once.
#include "guest-os/user/ulib.h"

int main(int argc, char **argv) {
  long seconds;
  if (argc != 2 || parse_number(argv[1], &seconds) < 0 || seconds < 0) {
    fprintf(2, "usage: sleep SECONDS\n");
    return 1;
  }
  return sleep(seconds * HZ) < 0 ? 1 : 0;
}
