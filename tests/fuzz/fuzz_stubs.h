// tests/fuzz/fuzz_stubs.h: what tests/fuzz/fuzz_stubs.c gives a target.
#ifndef TESTS_FUZZ_STUBS_H
#define TESTS_FUZZ_STUBS_H

// The last message the code under test printed (cut at 255 bytes).
extern char fuzz_last_message[256];

#endif
