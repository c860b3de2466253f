// guest-os/programs.h: the user programs built into the kernel image.
//
// On a machine with no file system (no disk, or a disk without one), exec
// finds programs here: every guest-os/user/*.c becomes an ELF executable,
// and guest-os/program_images.S includes each file's bytes in .rodata
// with a table entry naming it. With a file system, programs come from
// its /bin only (guest-os/exec.c).
#ifndef GUEST_OS_PROGRAMS_H
#define GUEST_OS_PROGRAMS_H

#include "kernel/types.h"

struct program {
  const char *name;         // "init", "usertests", ...
  const uint8_t *start;     // its ELF file's bytes
  const uint8_t *end;
};

// The program called `name`, or NULL.
const struct program *program_find(const char *name);

#endif
