// splashos/args.c: the boot arguments (see splashos/args.h).
#include "kernel/printf.h"
#include "kernel/string.h"
#include "splashos/args.h"
#include "splashos/param.h"

// One key=value pair. The key is kept as text (pointing into `line`), the
// value as the number it spells.
struct arg {
  const char *key;
  long value;
  bool used;
};

static char line[256];        // a private copy, cut into keys with NULs
static struct arg args[MAX_ARGS];
static int nargs;

// Parse the number in s ("65536", "0x10000"); -1 if it is not one.
static int parse_number(const char *s, long *out) {
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (*s == 0)
    return -1;
  long v = 0;
  for (; *s; s++) {
    int d;
    if (*s >= '0' && *s <= '9')
      d = *s - '0';
    else if (base == 16 && *s >= 'a' && *s <= 'f')
      d = *s - 'a' + 10;
    else if (base == 16 && *s >= 'A' && *s <= 'F')
      d = *s - 'A' + 10;
    else
      return -1;
    v = v * base + d;
  }
  *out = v;
  return 0;
}

// Take one word "key=value" (NUL-terminated, in line[]) into args[].
static int add_word(char *word) {
  char *eq = strchr(word, '=');
  if (eq == NULL || eq == word) {
    printf("splashos: boot argument '%s' is not key=value\n", word);
    return -1;
  }
  *eq = 0;
  if (nargs == MAX_ARGS) {
    printf("splashos: more than %d boot arguments\n", MAX_ARGS);
    return -1;
  }
  struct arg *a = &args[nargs++];
  a->key = word;
  if (parse_number(eq + 1, &a->value) < 0) {
    printf("splashos: boot argument %s=%s: the value is not a number\n",
           word, eq + 1);
    return -1;
  }
  return 0;
}

// Parsed once on the boot hart before any other hart runs, so the table
// needs no lock; afterwards it is only read.
int args_parse(const char *text) {
  size_t n = strnlen(text, sizeof(line) - 1);
  memcpy(line, text, n);
  line[n] = 0;
  // Words are separated by spaces (or tabs); cut each one out with a NUL.
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == 0)
      return 0;
    char *word = p;
    while (*p && *p != ' ' && *p != '\t')
      p++;
    bool last = (*p == 0);
    *p = 0;
    if (add_word(word) < 0)
      return -1;
    if (last)
      return 0;
    p++;
  }
}

// A linear search: there are at most MAX_ARGS pairs.
long arg_long(const char *key, long def) {
  for (int i = 0; i < nargs; i++) {
    if (strcmp(args[i].key, key) == 0) {
      args[i].used = true;
      return args[i].value;
    }
  }
  return def;
}

// Called after the application's init, which has asked for every key it
// knows: what is left unused is a key nobody knows.
int args_check(void) {
  int unused = 0;
  for (int i = 0; i < nargs; i++) {
    if (!args[i].used) {
      printf("splashos: unknown boot argument '%s'\n", args[i].key);
      unused++;
    }
  }
  return unused;
}
