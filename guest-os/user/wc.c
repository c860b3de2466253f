// guest-os/user/wc.c: wc [FILE...]: count the lines (newlines), words
// (runs of non-blank bytes) and bytes of each file, or of the standard
// input when there is none:
//
//   LINES WORDS BYTES NAME
//
// in columns 7 wide; with more than one file, a last line of totals.
#include "guest-os/user/ulib.h"

struct counts {
  long lines, words, bytes;
};

// Add what fd holds to c. 0, or -1 on a read error.
static int count(int fd, struct counts *c) {
  char buf[512];
  long n;
  int in_word = 0;             // the last byte was part of a word
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    for (long i = 0; i < n; i++) {
      if (buf[i] == '\n')
        c->lines++;
      // A word starts where a non-blank byte follows a blank (or the
      // start).
      if (isspace(buf[i])) {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        c->words++;
      }
    }
    c->bytes += n;
  }
  return n < 0 ? -1 : 0;
}

static void print_counts(const struct counts *c, const char *name) {
  printf("%7ld %7ld %7ld%s%s\n", c->lines, c->words, c->bytes,
         name[0] ? " " : "", name);
}

int main(int argc, char **argv) {
  struct counts total = {0, 0, 0};
  if (argc == 1) {
    if (count(0, &total) < 0) {
      fprintf(2, "wc: read error\n");
      return 1;
    }
    print_counts(&total, "");
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    struct counts c = {0, 0, 0};
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: %s: cannot open\n", argv[i]);
      status = 1;
      continue;
    }
    if (count(fd, &c) < 0) {
      fprintf(2, "wc: %s: read error\n", argv[i]);
      status = 1;
    }
    close(fd);
    print_counts(&c, argv[i]);
    total.lines += c.lines;
    total.words += c.words;
    total.bytes += c.bytes;
  }
  if (argc > 2)
    print_counts(&total, "total");
  return status;
}
