// guest-os/user/sleep.c: sleep N: do nothing for N seconds (a whole
// number), then exit 0. Killing it ends the wait at once.
#include "guest-os/user/ulib.h"

int main(int argc, char **argv) {
  const char *s = argc == 2 ? argv[1] : "";
  int digits = *s != 0;
  for (const char *p = s; *p; p++)
    digits &= isdigit(*p) != 0;
  if (argc != 2 || !digits) {
    fprintf(2, "usage: sleep SECONDS\n");
    return 1;
  }
  return sleep(atol(s) * HZ) < 0 ? 1 : 0;
}
