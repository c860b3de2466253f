// guest-os/programs.c: look a built-in program up by name (see
// guest-os/programs.h).
#include "guest-os/programs.h"
#include "kernel/string.h"

// Made by guest-os/program_images.S.
extern const struct program program_table[], program_table_end[];

const struct program *program_find(const char *name) {
  for (const struct program *p = program_table; p < program_table_end; p++)
    if (strcmp(p->name, name) == 0)
      return p;
  return NULL;
}
