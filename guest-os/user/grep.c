// guest-os/user/grep.c: grep PATTERN [FILE...]: print the lines that
// match PATTERN, of each file or of the standard input when there is
// none; with more than one file, each line after its file's name and a
// ':'. Exit status 0 if a line matched, 1 if none did, 2 on an error.
//
// PATTERN is a small regular expression:
//   c    a byte matches itself
//   .    matches any byte
//   c*   (or .*) any number of c, none included
//   ^    at the start: the match must start the line
//   $    at the end: the match must end the line
// There are no escapes, classes or groups. Lines longer than 1024 bytes
// are matched in pieces of 1024.
#include "guest-os/user/ulib.h"

#define LINEMAX 1024

static int match_here(const char *p, const char *t);

// Does "c*" followed by the pattern rest match at t? Take the longest run
// of c first, then give back a byte at a time until rest matches too.
static int match_star(char c, const char *rest, const char *t) {
  const char *end = t;
  while (*end != 0 && (c == '.' || *end == c))
    end++;
  for (;; end--) {
    if (match_here(rest, end))
      return 1;
    if (end == t)
      return 0;
  }
}

// Does pattern p match a prefix of text t?
static int match_here(const char *p, const char *t) {
  for (;; p++, t++) {
    if (p[0] == 0)
      return 1;                        // all of the pattern matched
    if (p[1] == '*')
      return match_star(p[0], p + 2, t);
    if (p[0] == '$' && p[1] == 0)
      return *t == 0;                  // "$" last: only at the end
    if (*t == 0 || (p[0] != '.' && p[0] != *t))
      return 0;
  }
}

// Does pattern p match somewhere in the line t?
static int match(const char *p, const char *t) {
  if (p[0] == '^')
    return match_here(p + 1, t);
  // Try each place to start, the empty end of the line included.
  for (;; t++) {
    if (match_here(p, t))
      return 1;
    if (*t == 0)
      return 0;
  }
}

// Print the line if it matches; 1 if it did.
static int check_line(const char *pattern, const char *line,
                      const char *name) {
  if (!match(pattern, line))
    return 0;
  if (name != NULL)
    printf("%s:%s\n", name, line);
  else
    printf("%s\n", line);
  return 1;
}

// Check every line of fd (named name, or NULL to print no name). The
// number of lines that matched, or -1 on a read error.
static int grep(const char *pattern, int fd, const char *name) {
  static char buf[LINEMAX + 1];
  int len = 0;                         // bytes of an unfinished line
  int found = 0;
  for (;;) {
    long n = read(fd, buf + len, LINEMAX - len);
    if (n < 0)
      return -1;
    int end = len + n;
    // Check each whole line that came in, each ended by its newline.
    int start = 0;
    for (int i = len; i < end; i++) {
      if (buf[i] == '\n') {
        buf[i] = 0;
        found += check_line(pattern, buf + start, name);
        start = i + 1;
      }
    }
    // Keep the unfinished line at the front of buf, for the next read.
    len = end - start;
    for (int i = 0; i < len; i++)
      buf[i] = buf[start + i];
    // At the end of the input, or with buf full, what is left is a line.
    if ((n == 0 || len == LINEMAX) && len > 0) {
      buf[len] = 0;
      found += check_line(pattern, buf, name);
      len = 0;
    }
    if (n == 0)
      return found;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: grep PATTERN [FILE...]\n");
    return 2;
  }
  const char *pattern = argv[1];
  if (argc == 2) {
    int found = grep(pattern, 0, NULL);
    if (found < 0)
      fprintf(2, "grep: read error\n");
    return found < 0 ? 2 : found > 0 ? 0 : 1;
  }
  int found = 0, error = 0;
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: %s: cannot open\n", argv[i]);
      error = 1;
      continue;
    }
    int n = grep(pattern, fd, argc > 3 ? argv[i] : NULL);
    close(fd);
    if (n < 0) {
      fprintf(2, "grep: %s: read error\n", argv[i]);
      error = 1;
    } else {
      found += n;
    }
  }
  return error ? 2 : found > 0 ? 0 : 1;
}
