// tests/unit/unit.h: the smallest test framework that does the job.
//
// A host unit test is a C program built with the host compiler and
// -fsanitize=address,undefined, so a read past the end of a buffer is a
// failure even when it happens to return the right answer. Each test case
// is a function; TEST_RUN() calls it and prints one line:
//
//     ok   fdt_truncated_header
//     FAIL fdt_truncated_header: tests/unit/test_fdt.c:42: got -1, want -4
//
// tests/run.py counts those lines, so every case shows up in the
// "N passed, N failed" total of `make test`. A case stops at its first
// failed CHECK; the program exits 1 if any case failed.
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_cases;   // cases that failed so far
static int unit_case_failed;    // did the current case fail?

// Fail the current case with a message, and return from the test function.
#define FAILF(...)                                                   \
  do {                                                               \
    if (!unit_case_failed)                                           \
      printf("FAIL %s: %s:%d: ", unit_case_name, __FILE__, __LINE__); \
    printf(__VA_ARGS__);                                             \
    printf("\n");                                                    \
    unit_case_failed = 1;                                            \
    return;                                                          \
  } while (0)

// CHECK(cond): the condition must hold.
#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond))                                                     \
      FAILF("check failed: %s", #cond);                              \
  } while (0)

// CHECK_EQ(got, want): two integers must be equal; prints both if not.
#define CHECK_EQ(got, want)                                          \
  do {                                                               \
    long long g_ = (long long)(got), w_ = (long long)(want);         \
    if (g_ != w_)                                                    \
      FAILF("%s is %lld (0x%llx), want %lld (0x%llx)", #got, g_,     \
            (unsigned long long)g_, w_, (unsigned long long)w_);     \
  } while (0)

// CHECK_STR(got, want): two C strings must be equal.
#define CHECK_STR(got, want)                                         \
  do {                                                               \
    const char *g_ = (got), *w_ = (want);                            \
    if (g_ == NULL || strcmp(g_, w_) != 0)                           \
      FAILF("%s is \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)", w_); \
  } while (0)

static const char *unit_case_name = "";

// Run one case and print its line.
#define TEST_RUN(fn)                                                 \
  do {                                                               \
    unit_case_name = #fn;                                            \
    unit_case_failed = 0;                                            \
    fn();                                                            \
    if (unit_case_failed)                                            \
      unit_failed_cases++;                                           \
    else                                                             \
      printf("ok   %s\n", #fn);                                      \
    fflush(stdout);                                                  \
  } while (0)

// The exit status of main().
#define TEST_EXIT() (unit_failed_cases ? 1 : 0)

#endif
