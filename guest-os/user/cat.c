// guest-os/user/cat.c: cat [FILE...]: copy each file, in order, to the
// standard output; with no FILE, the standard input.
#include "guest-os/user/ulib.h"

// Copy everything fd holds to the standard output. 0, or 1 after
// reporting an error (name says which input).
static int copy(int fd, const char *name) {
  char buf[512];
  long n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    if (write(1, buf, n) != n) {
      fprintf(2, "cat: write error\n");
      return 1;
    }
  }
  if (n < 0) {
    fprintf(2, "cat: %s: read error\n", name);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 1)
    return copy(0, "standard input");
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "cat: %s: cannot open\n", argv[i]);
      status = 1;
      continue;
    }
    // A directory opens, but its bytes are entries, not text.
    struct stat st;
    if (fstat(fd, &st) == 0 && st.type == STAT_DIR) {
      fprintf(2, "cat: %s: is a directory\n", argv[i]);
      status = 1;
    } else {
      status |= copy(fd, argv[i]);
    }
    close(fd);
  }
  return status;
}
