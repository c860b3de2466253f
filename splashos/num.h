// splashos/num.h: numbers for checking results.
//
// Two rules keep every application's result identical whatever the
// thread count, so that a test can compare a 1-hart checksum with a
// 4-hart one:
//   - input data is a pure function of its index (a counter-based random
//     generator, rand_u64(seed, i)), so each thread can generate its own
//     share without knowing who generated the rest;
//   - a checksum hashes the bits of the final result in index order, on
//     one hart. (Summing floating point in parallel would not do: the sum
//     depends on how the terms were split among threads.)
#ifndef SPLASHOS_NUM_H
#define SPLASHOS_NUM_H

#include "kernel/types.h"

// 64 random-looking bits, a pure function of (seed, i): the SplitMix64
// output function (Steele, Lea and Flood, "Fast Splittable Pseudorandom
// Number Generators", OOPSLA 2014) applied to seed + i * its increment.
uint64_t rand_u64(uint64_t seed, uint64_t i);

// A double in [-1, 1), from rand_u64.
double rand_unit(uint64_t seed, uint64_t i);

// Fold n bytes at p into the running hash h: 64-bit FNV-1a (Fowler, Noll
// and Vo; IETF draft-eastlake-fnv). Start with HASH_INIT.
#define HASH_INIT 0xcbf29ce484222325ULL
uint64_t hash_bytes(uint64_t h, const void *p, size_t n);

// Write x as "-1.23e-05" (three significant digits) into buf (at least 16
// bytes). kernel/printf has no %e; results need only this much.
char *fmt_sci(char *buf, double x);

#endif
