// splashos/apps/radix.c: parallel radix sort of integer keys.
//
// The algorithm of SPLASH-2's RADIX kernel (Woo et al., ISCA 1995, and
// Blelloch et al., "A Comparison of Sorting Algorithms for the Connection
// Machine CM-2", SPAA 1991), in our own code. Keys of `bits` bits are
// sorted one digit of log2(radix) bits at a time, least significant digit
// first; each pass is a stable counting sort, so after the last pass the
// keys are sorted. One pass, with every thread owning a contiguous share
// of the source array:
//
//   1. histogram   each thread counts the digits of its own keys
//   2. prefix      the threads together turn all the histograms into
//                  ranks: where thread t's first key with digit d goes,
//                  = (keys with a smaller digit, any thread)
//                  + (keys with digit d on threads before t)
//   3. permute     each thread writes its keys to their ranks in the
//                  destination array, scattered all over it
//
// Step 3 is the all-to-all communication that makes radix sort the
// interesting case for Disco: every thread writes into pages every other
// thread wrote too (Disco section 5: radix ran in 34% of IRIX's time
// under SPLASHOS, on a monitor that places its pages well).
//
// Boot arguments: n (keys), radix (a power of two), bits (key size).
#include "kernel/printf.h"
#include "splashos/app.h"
#include "splashos/args.h"
#include "splashos/clock.h"
#include "splashos/heap.h"
#include "splashos/num.h"
#include "splashos/param.h"
#include "splashos/thread.h"

#define SEED 0x5eed0001ULL       // for the keys
#define SEED_PERM 0x5eed0002ULL  // for the permutation check

static long n;                   // keys
static int radix_bits;           // log2(radix)
static int key_bits;             // keys are < 2^key_bits
static int nthreads;
static uint32_t *keys[2];        // source and destination, swapped each pass
static uint32_t *sorted;         // where the last pass left the keys
static long *count[MAX_HARTS];   // count[t][d]: thread t's keys with digit d
static long *rank[MAX_HARTS];    // rank[t][d]: where t's next d key goes
static long digit_total[MAX_HARTS]; // step 2: keys of each thread's digits
static uint64_t t_start, t_end;

// The base-2 logarithm of x if x is a power of two, else -1.
static int log2_exact(long x) {
  for (int b = 0; b < 63; b++)
    if (x == 1L << b)
      return b;
  return -1;
}

static int radix_init(int threads) {
  nthreads = threads;
  n = arg_long("n", 1048576);
  long radix = arg_long("radix", 1024);
  key_bits = (int)arg_long("bits", 30);
  radix_bits = log2_exact(radix);
  if (n < 1 || radix_bits < 1 || radix_bits > 16 || key_bits < 1 ||
      key_bits > 32) {
    printf("radix: want n >= 1, radix a power of two in 2..65536, "
           "bits in 1..32 (got n=%ld radix=%ld bits=%d)\n", n, radix,
           key_bits);
    return -1;
  }
  keys[0] = splash_alloc(n * sizeof(uint32_t));
  keys[1] = splash_alloc(n * sizeof(uint32_t));
  // Each thread's histogram and ranks in pages of their own, so that the
  // owner can place them (and no two threads' counters share a line).
  for (int t = 0; t < nthreads; t++) {
    count[t] = splash_alloc(radix * sizeof(long));
    rank[t] = splash_alloc(radix * sizeof(long));
  }
  return 0;
}

// Key i of the input: a pure function of i, so any thread can make it.
static uint32_t input_key(long i) {
  uint64_t mask = key_bits == 32 ? 0xffffffffULL : (1ULL << key_bits) - 1;
  return (uint32_t)(rand_u64(SEED, i) & mask);
}

// Step 1: count[tid][d] = how many of my keys src[lo..hi) have digit d.
static void histogram(int tid, const uint32_t *src, long lo, long hi,
                      int shift) {
  long radix = 1L << radix_bits, *c = count[tid];
  for (long d = 0; d < radix; d++)
    c[d] = 0;
  for (long i = lo; i < hi; i++)
    c[(src[i] >> shift) & (radix - 1)]++;
}

// Step 2, in two halves with a barrier between: the digits are shared out
// among the threads like the keys are. First each thread adds up, over all
// threads, the counts of its digits; then, knowing how many keys have a
// digit below its own range, it hands out the ranks for its digits.
static void prefix(int tid) {
  long radix = 1L << radix_bits, dlo, dhi;
  thread_share(radix, tid, &dlo, &dhi);
  long sum = 0;
  for (long d = dlo; d < dhi; d++)
    for (int t = 0; t < nthreads; t++)
      sum += count[t][d];
  digit_total[tid] = sum;
  barrier();
  long next = 0;
  for (int t = 0; t < tid; t++)
    next += digit_total[t];
  for (long d = dlo; d < dhi; d++) {
    for (int t = 0; t < nthreads; t++) {
      rank[t][d] = next;
      next += count[t][d];
    }
  }
}

// Step 3: move my keys to their places. Keys with the same digit keep
// their order (my ranks for d are consecutive), so the sort is stable.
static void permute(int tid, const uint32_t *src, uint32_t *dst, long lo,
                    long hi, int shift) {
  long mask = (1L << radix_bits) - 1, *r = rank[tid];
  for (long i = lo; i < hi; i++)
    dst[r[(src[i] >> shift) & mask]++] = src[i];
}

static void radix_run(int tid) {
  long lo, hi;
  thread_share(n, tid, &lo, &hi);
  // First touch: my share of both key arrays, my counters and ranks.
  for (long i = lo; i < hi; i++)
    keys[0][i] = input_key(i);
  splash_touch_share(keys[1], n * sizeof(uint32_t));
  splash_touch(count[tid], (1L << radix_bits) * sizeof(long));
  splash_touch(rank[tid], (1L << radix_bits) * sizeof(long));
  work_add(hi - lo);
  barrier();

  if (tid == 0)
    t_start = clock_us();
  int from = 0;
  for (int shift = 0; shift < key_bits; shift += radix_bits) {
    histogram(tid, keys[from], lo, hi, shift);
    barrier();
    prefix(tid);
    barrier();
    permute(tid, keys[from], keys[1 - from], lo, hi, shift);
    barrier();
    from = 1 - from;
  }
  if (tid == 0) {
    t_end = clock_us();
    sorted = keys[from];
  }
}

// Flip the low bit of the middle key: the keys may well still be in
// order, but they are no longer the keys we were given.
static void radix_corrupt(void) { sorted[n / 2] ^= 1; }

// Sorted, and a permutation of the input? The second is checked with an
// order-free fingerprint of the multiset of keys: the sum of a hash of
// each key, over the input and over the output.
static void radix_check(struct result *r) {
  long unsorted = 0;
  for (long i = 0; i + 1 < n; i++)
    unsorted += sorted[i] > sorted[i + 1];
  uint64_t in_sum = 0, out_sum = 0;
  for (long i = 0; i < n; i++) {
    in_sum += rand_u64(SEED_PERM, input_key(i));
    out_sum += rand_u64(SEED_PERM, sorted[i]);
  }
  r->ok = unsorted == 0 && in_sum == out_sum;
  r->checksum = hash_bytes(HASH_INIT, sorted, n * sizeof(uint32_t));
  r->time_us = t_end - t_start;
  snprintf(r->params, sizeof(r->params), "n=%ld radix=%ld bits=%d", n,
           1L << radix_bits, key_bits);
  snprintf(r->measure, sizeof(r->measure), "unsorted=%ld permutation=%s",
           unsorted, in_sum == out_sum ? "yes" : "no");
}

const struct app app = {
    .name = "radix",
    .args = "n=<keys, 1048576> radix=<power of two, 1024> bits=<1..32, 30>",
    .work_unit = "keys",
    .init = radix_init,
    .run = radix_run,
    .corrupt = radix_corrupt,
    .check = radix_check,
};
