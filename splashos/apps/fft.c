// splashos/apps/fft.c: the six-step fast Fourier transform.
//
// The algorithm of SPLASH-2's FFT kernel (Woo et al., ISCA 1995; the
// six-step method is Bailey's, "FFTs in External or Hierarchical Memory",
// J. Supercomputing 1990), in our own code. A complex vector of n = r * r
// points (r = sqrt(n), a power of two) is viewed as an r x r matrix stored
// row by row, x[j1 * r + j2]. Writing j = j1 r + j2 and k = k1 + r k2,
// the DFT X[k] = sum_j x[j] w^(jk), w = e^(-2 pi i / n), splits as
//
//   X[k1 + r k2] = sum_j2 w_r^(j2 k2) * w^(j2 k1) * sum_j1 x[j1 r + j2] w_r^(j1 k1)
//
// (w_r = w^r), which is six steps, all on whole rows:
//   1. transpose          so that the inner sums run along rows
//   2. r FFTs of length r  the inner sums
//   3. twiddle            multiply element (j2, k1) by w^(j2 k1)
//   4. transpose
//   5. r FFTs of length r  the outer sums
//   6. transpose          into natural order, k = k1 + r k2
// Each thread owns a contiguous band of rows in every matrix: the FFTs and
// the twiddles touch only its own rows; the transposes are where the
// threads talk, each reading a column strip out of everyone's rows
// (all-to-all communication, as in SPLASH-2). The inverse transform is
// the forward one on conjugated data: IDFT(X) = conj(DFT(conj(X))) / n.
//
// The check: the inverse of the forward transform must give the input
// back, and a few bins of the spectrum must match a direct O(n) DFT.
//
// Boot arguments: n (points, a power of four).
#include "kernel/printf.h"
#include "splashos/app.h"
#include "splashos/args.h"
#include "splashos/clock.h"
#include "splashos/fmath.h"
#include "splashos/heap.h"
#include "splashos/num.h"
#include "splashos/thread.h"

#define SEED 0x5eed0201ULL

struct complex {
  double re, im;
};

static long n, r;                  // points, and r = sqrt(n) rows
static int log_r;                  // log2(r)
static struct complex *x, *y;      // the two r x r matrices
static struct complex *spectrum;   // the forward transform, kept to check
static struct complex *w;          // w[k] = e^(-2 pi i k / n), k < n
static uint64_t t_start, t_end;

static struct complex cmul(struct complex a, struct complex b) {
  struct complex c = {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
  return c;
}

// Input point i: a pure function of i (splashos/num.h).
static struct complex input(long i) {
  struct complex c = {rand_unit(SEED, 2 * i), rand_unit(SEED, 2 * i + 1)};
  return c;
}

static int fft_init(int nthreads) {
  n = arg_long("n", 262144);
  log_r = -1;
  for (int b = 0; b < 31; b++)
    if (n == 1L << (2 * b))
      log_r = b;
  if (log_r < 1) {
    printf("fft: n must be a power of four, at least 4 (got n=%ld)\n", n);
    return -1;
  }
  r = 1L << log_r;
  x = splash_alloc(n * sizeof(struct complex));
  y = splash_alloc(n * sizeof(struct complex));
  spectrum = splash_alloc(n * sizeof(struct complex));
  w = splash_alloc(n * sizeof(struct complex));
  return 0;
}

// Reverse the low `bits` bits of v.
static long bit_reverse(long v, int bits) {
  long out = 0;
  for (int i = 0; i < bits; i++, v >>= 1)
    out = (out << 1) | (v & 1);
  return out;
}

// One in-place FFT of length r on row a[0..r): the iterative radix-2
// Cooley-Tukey algorithm. Put the points in bit-reversed order, then
// combine pairs of transforms of length half = 1, 2, 4, ... r/2 into
// transforms of length 2 half; that needs the (2 half)-th roots of unity,
// which are every n/(2 half)-th entry of the table w.
static void fft_row(struct complex *a) {
  for (long i = 0; i < r; i++) {
    long j = bit_reverse(i, log_r);
    if (i < j) {
      struct complex t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  for (long half = 1; half < r; half *= 2) {
    long stride = n / (2 * half);       // w^stride is a (2 half)-th root
    for (long start = 0; start < r; start += 2 * half)
      for (long j = 0; j < half; j++) {
        struct complex t = cmul(w[j * stride], a[start + j + half]);
        struct complex u = a[start + j];
        a[start + j].re = u.re + t.re;
        a[start + j].im = u.im + t.im;
        a[start + j + half].re = u.re - t.re;
        a[start + j + half].im = u.im - t.im;
      }
  }
}

// dst := transpose(src), my rows of dst only: rows [lo, hi). Done in
// 8-column strips so that the eight source rows read stay in the cache.
static void transpose(struct complex *dst, const struct complex *src,
                      long lo, long hi) {
  for (long c0 = 0; c0 < r; c0 += 8)
    for (long row = lo; row < hi; row++)
      for (long c = c0; c < c0 + 8 && c < r; c++)
        dst[row * r + c] = src[c * r + row];
}

// The six steps on a, with b as the second matrix; the transform ends up
// in b, and a is overwritten. Rows [lo, hi) are this thread's.
static void six_step(struct complex *a, struct complex *b, long lo, long hi) {
  transpose(b, a, lo, hi);                      // 1
  for (long row = lo; row < hi; row++) {
    fft_row(&b[row * r]);                       // 2
    for (long c = 0; c < r; c++)                // 3
      b[row * r + c] = cmul(b[row * r + c], w[row * c]);
  }
  barrier();
  transpose(a, b, lo, hi);                      // 4
  for (long row = lo; row < hi; row++)
    fft_row(&a[row * r]);                       // 5
  barrier();
  transpose(b, a, lo, hi);                      // 6
  barrier();
  work_add(2 * (hi - lo));
}

// Rows [lo, hi) of a := conj(a) * scale.
static void conj_scale(struct complex *a, long lo, long hi, double scale) {
  for (long i = lo * r; i < hi * r; i++) {
    a[i].re *= scale;
    a[i].im *= -scale;
  }
}

static void fft_run(int tid) {
  long lo, hi, wlo, whi;
  thread_share(r, tid, &lo, &hi);
  thread_share(n, tid, &wlo, &whi);
  // First touch: my rows of each matrix, my share of the roots.
  for (long i = lo * r; i < hi * r; i++) {
    x[i] = input(i);
    y[i].re = y[i].im = spectrum[i].re = spectrum[i].im = 0;
  }
  for (long k = wlo; k < whi; k++) {
    w[k].re = cos(2 * M_PI * k / n);
    w[k].im = -sin(2 * M_PI * k / n);
  }
  barrier();

  if (tid == 0)
    t_start = clock_us();
  six_step(x, y, lo, hi);                 // forward: x -> y
  for (long i = lo * r; i < hi * r; i++)
    spectrum[i] = y[i];
  conj_scale(y, lo, hi, 1.0);             // inverse: y -> x
  barrier();
  six_step(y, x, lo, hi);
  conj_scale(x, lo, hi, 1.0 / n);
  barrier();
  if (tid == 0)
    t_end = clock_us();
}

// Spoil one point of the round trip.
static void fft_corrupt(void) { x[n / 2].re += 1.0; }

// Bin k of the DFT of the input, the slow way: sum_j x_j w^(jk mod n).
static struct complex direct_dft(long k) {
  struct complex s = {0, 0};
  for (long j = 0; j < n; j++) {
    struct complex t = cmul(input(j), w[(j * k) % n]);
    s.re += t.re;
    s.im += t.im;
  }
  return s;
}

static void fft_check(struct result *res) {
  double trip = 0, dft = 0;
  for (long i = 0; i < n; i++) {
    struct complex in = input(i);
    double e = fabs(x[i].re - in.re) + fabs(x[i].im - in.im);
    trip = e > trip ? e : trip;
  }
  // A few bins, spread out; the DFT of n points of size ~1 has bins of
  // size ~sqrt(n), so compare relative to that.
  long bins[4] = {0, 1, n / 3, n - 1};
  for (int i = 0; i < 4; i++) {
    struct complex d = direct_dft(bins[i]);
    double e = fabs(d.re - spectrum[bins[i]].re) +
               fabs(d.im - spectrum[bins[i]].im);
    e /= sqrt((double)n);
    dft = e > dft ? e : dft;
  }
  res->ok = trip < 1e-10 && dft < 1e-10;
  res->checksum = hash_bytes(HASH_INIT, spectrum, n * sizeof(struct complex));
  res->time_us = t_end - t_start;
  char s1[16], s2[16];
  snprintf(res->params, sizeof(res->params), "n=%ld", n);
  snprintf(res->measure, sizeof(res->measure), "roundtrip_err=%s dft_err=%s",
           fmt_sci(s1, trip), fmt_sci(s2, dft));
}

const struct app app = {
    .name = "fft",
    .args = "n=<points, a power of four, 262144>",
    .work_unit = "row FFTs",
    .init = fft_init,
    .run = fft_run,
    .corrupt = fft_corrupt,
    .check = fft_check,
};
