// splashos/args.h: the boot arguments, as key=value pairs.
//
// An application is configured by its boot arguments only: on the bare
// machine they come from QEMU's -append, under the monitor from the VM's
// configuration; either way they reach us as /chosen/bootargs, e.g.
//     "threads=4 n=65536"
// Every pair must be read by someone: a key nobody asked for is a typo,
// and args_check() says so instead of silently running the default.
#ifndef SPLASHOS_ARGS_H
#define SPLASHOS_ARGS_H

#include "kernel/types.h"

// Split `line` into pairs. Returns 0, or -1 after printing what is wrong
// (a word without '=', a value that is not a number, too many pairs).
int args_parse(const char *line);

// The value of `key` as a number (decimal, or hex with 0x), or `def`
// when the key was not given. Marks the key as used.
long arg_long(const char *key, long def);

// Print every key that no arg_long() call asked for; return how many.
int args_check(void);

#endif
