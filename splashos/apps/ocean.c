// splashos/apps/ocean.c: an elliptic solve on a grid by multigrid, the
// core of SPLASH-2's OCEAN.
//
// OCEAN simulates ocean currents; most of its time goes into solving an
// elliptic equation on a regular grid with a multigrid solver whose
// smoother is red-black Gauss-Seidel (Woo et al., ISCA 1995; the method:
// Brandt, "Multi-Level Adaptive Solutions to Boundary-Value Problems",
// Math. Comp. 1977; Briggs, "A Multigrid Tutorial"). This program is that
// solver alone, in our own code, on the model problem
//
//     -(u_xx + u_yy) = f   on the unit square,   u = 0 on its edges,
//
// with f chosen so that the exact answer is u* = sin(pi x) sin(2 pi y).
// The grid has N intervals a side (N a power of two), h = 1/N, and the
// usual five-point stencil: (A u)_ij = (4 u_ij - u_i-1,j - u_i+1,j
// - u_i,j-1 - u_i,j+1) / h^2.
//
// Red-black Gauss-Seidel: colour point (i,j) red when i+j is even, black
// otherwise. A red point's neighbours are all black, so all red points
// can be updated at once, in any order, by any thread; then all black
// ones. One V-cycle on level l (finest l = 0, each coarser level half the
// intervals):
//
//   smooth twice; r = f - A u; restrict r to level l+1 as its f (full
//   weighting); solve there recursively from u = 0; interpolate that
//   correction back (bilinear) and add it; smooth twice.
//
// Each thread owns a band of rows on every level, first touched by it.
// Neighbouring bands share their edge rows through memory (the nearest-
// neighbour communication of OCEAN); a barrier separates every sweep.
//
// The check: the residual max|f - A u| must drop by `drop` (default 1e6)
// from its value at u = 0, and u must match u* to within the
// discretisation error, which is about 3 h^2 here.
//
// Boot arguments: n (intervals a side, a power of two), cycles.
#include "kernel/printf.h"
#include "splashos/app.h"
#include "splashos/args.h"
#include "splashos/clock.h"
#include "splashos/fmath.h"
#include "splashos/heap.h"
#include "splashos/num.h"
#include "splashos/param.h"
#include "splashos/thread.h"

#define MAX_LEVELS 16

// One level of the grid hierarchy: (m+1) x (m+1) points, the edges fixed
// at zero, row-major: point (i,j) is [i * (m + 1) + j].
struct level {
  long m;                  // intervals a side
  double h2;               // h^2 = (1/m)^2
  double *u, *f, *r;       // solution, right-hand side, residual
};

static struct level lv[MAX_LEVELS];
static int nlevels;
static long cycles;
static double drop_wanted;
static double res0, res_end;           // residual before and after
static double partial[MAX_HARTS];      // per-thread maxima, for reductions
static uint64_t t_start, t_end;

#define AT(L, a, i, j) ((L)->a[(i) * ((L)->m + 1) + (j)])

// The exact solution and its right-hand side, at grid point (i,j) of a
// grid with m intervals: f = -laplacian(u*) = 5 pi^2 u*.
static double exact(long m, long i, long j) {
  return sin(M_PI * i / m) * sin(2 * M_PI * j / m);
}

static int ocean_init(int nthreads) {
  long n = arg_long("n", 256);
  cycles = arg_long("cycles", 10);
  drop_wanted = (double)arg_long("drop", 1000000);
  bool pow2 = n >= 4 && (n & (n - 1)) == 0;
  if (!pow2 || n > 8192 || cycles < 1) {
    printf("ocean: want n a power of two in 4..8192 and cycles >= 1 "
           "(got n=%ld cycles=%ld)\n", n, cycles);
    return -1;
  }
  // Levels down to 2 intervals a side: one interior point.
  for (long m = n; m >= 2; m /= 2) {
    struct level *L = &lv[nlevels++];
    L->m = m;
    L->h2 = 1.0 / ((double)m * m);
    long bytes = (m + 1) * (m + 1) * sizeof(double);
    L->u = splash_alloc(bytes);
    L->f = splash_alloc(bytes);
    L->r = splash_alloc(bytes);
  }
  return 0;
}

// This thread's interior rows of level L: [*lo, *hi) within 1..m-1.
static void my_rows(struct level *L, long *lo, long *hi) {
  thread_share(L->m - 1, thread_id(), lo, hi);
  *lo += 1;
  *hi += 1;
}

// One red (colour 0) or black (colour 1) half-sweep over my rows: each
// point becomes the value that satisfies its own equation exactly.
static void relax_colour(struct level *L, int colour) {
  long lo, hi;
  my_rows(L, &lo, &hi);
  for (long i = lo; i < hi; i++)
    for (long j = 1 + ((i + 1 + colour) & 1); j < L->m; j += 2)
      AT(L, u, i, j) = 0.25 * (AT(L, u, i - 1, j) + AT(L, u, i + 1, j) +
                               AT(L, u, i, j - 1) + AT(L, u, i, j + 1) +
                               L->h2 * AT(L, f, i, j));
  work_add(hi - lo);
}

// `times` red-black Gauss-Seidel sweeps, a barrier after each colour.
static void smooth(struct level *L, int times) {
  for (int s = 0; s < times; s++) {
    relax_colour(L, 0);
    barrier();
    relax_colour(L, 1);
    barrier();
  }
}

// r := f - A u on my rows; returns the largest |r| among them.
static double residual(struct level *L) {
  long lo, hi;
  my_rows(L, &lo, &hi);
  double big = 0;
  for (long i = lo; i < hi; i++)
    for (long j = 1; j < L->m; j++) {
      double au = (4 * AT(L, u, i, j) - AT(L, u, i - 1, j) -
                   AT(L, u, i + 1, j) - AT(L, u, i, j - 1) -
                   AT(L, u, i, j + 1)) / L->h2;
      double r = AT(L, f, i, j) - au;
      AT(L, r, i, j) = r;
      big = fabs(r) > big ? fabs(r) : big;
    }
  return big;
}

// Full weighting: the coarse f at (I,J) is the fine residual around
// (2I,2J), weights 4 at the centre, 2 on the edges, 1 at the corners,
// over 16. Also start the coarse solution at zero. My coarse rows.
static void restrict_residual(struct level *F, struct level *C) {
  long lo, hi;
  my_rows(C, &lo, &hi);
  for (long I = lo; I < hi; I++)
    for (long J = 1; J < C->m; J++) {
      long i = 2 * I, j = 2 * J;
      double s = 4 * AT(F, r, i, j) +
                 2 * (AT(F, r, i - 1, j) + AT(F, r, i + 1, j) +
                      AT(F, r, i, j - 1) + AT(F, r, i, j + 1)) +
                 AT(F, r, i - 1, j - 1) + AT(F, r, i - 1, j + 1) +
                 AT(F, r, i + 1, j - 1) + AT(F, r, i + 1, j + 1);
      AT(C, f, I, J) = s / 16;
      AT(C, u, I, J) = 0;
    }
}

// Bilinear interpolation of the coarse correction, added to the fine u:
// a fine point is the mean of the coarse points around it (1, 2 or 4 of
// them, depending on whether i and j are even). My fine rows.
static void correct(struct level *F, struct level *C) {
  long lo, hi;
  my_rows(F, &lo, &hi);
  for (long i = lo; i < hi; i++)
    for (long j = 1; j < F->m; j++) {
      long i0 = i / 2, i1 = (i + 1) / 2, j0 = j / 2, j1 = (j + 1) / 2;
      AT(F, u, i, j) += 0.25 * (AT(C, u, i0, j0) + AT(C, u, i0, j1) +
                                AT(C, u, i1, j0) + AT(C, u, i1, j1));
    }
}

// One V-cycle from level l down and back up.
static void vcycle(int l) {
  struct level *L = &lv[l];
  if (l == nlevels - 1) {         // one unknown: one sweep solves it
    smooth(L, 1);
    return;
  }
  smooth(L, 2);
  residual(L);
  barrier();
  restrict_residual(L, &lv[l + 1]);
  barrier();
  vcycle(l + 1);
  correct(L, &lv[l + 1]);
  barrier();
  smooth(L, 2);
}

// The residual of the finest level, max over all threads. A maximum does
// not depend on the order it is taken in, so this is the same number for
// any thread count (a parallel sum would not be).
static double residual_norm(int tid) {
  partial[tid] = residual(&lv[0]);
  barrier();
  double big = 0;
  for (int t = 0; t < thread_count(); t++)
    big = partial[t] > big ? partial[t] : big;
  barrier();                      // everyone has read partial[]
  return big;
}

// First touch: my rows (edges included) of every level; f on the finest.
static void fill(int tid) {
  for (int l = 0; l < nlevels; l++) {
    struct level *L = &lv[l];
    long lo, hi;
    thread_share(L->m + 1, tid, &lo, &hi);
    for (long i = lo; i < hi; i++)
      for (long j = 0; j <= L->m; j++) {
        AT(L, u, i, j) = AT(L, r, i, j) = AT(L, f, i, j) = 0;
        if (l == 0 && i > 0 && i < L->m && j > 0 && j < L->m)
          AT(L, f, i, j) = 5 * M_PI * M_PI * exact(L->m, i, j);
      }
  }
}

static void ocean_run(int tid) {
  fill(tid);
  barrier();
  double res = residual_norm(tid);
  if (tid == 0) {
    res0 = res;
    t_start = clock_us();
  }
  for (long c = 0; c < cycles; c++) {
    vcycle(0);
    res = residual_norm(tid);
    if (tid == 0) {
      char s[16];
      printf("ocean: cycle %ld: residual %s\n", c + 1, fmt_sci(s, res));
    }
  }
  if (tid == 0) {
    t_end = clock_us();
    res_end = res;
  }
}

// A wrong value in the middle of the solution.
static void ocean_corrupt(void) {
  struct level *L = &lv[0];
  AT(L, u, L->m / 2, L->m / 2) += 1.0;
}

static void ocean_check(struct result *r) {
  struct level *L = &lv[0];
  // Recompute the residual here, on one hart, rather than trust res_end.
  double res = 0, err = 0;
  for (long i = 1; i < L->m; i++)
    for (long j = 1; j < L->m; j++) {
      double au = (4 * AT(L, u, i, j) - AT(L, u, i - 1, j) -
                   AT(L, u, i + 1, j) - AT(L, u, i, j - 1) -
                   AT(L, u, i, j + 1)) / L->h2;
      res = fabs(AT(L, f, i, j) - au) > res ? fabs(AT(L, f, i, j) - au) : res;
      double e = fabs(AT(L, u, i, j) - exact(L->m, i, j));
      err = e > err ? e : err;
    }
  double drop = res0 / res;
  r->ok = drop >= drop_wanted && err < 10 * L->h2;
  r->checksum = hash_bytes(HASH_INIT, L->u, (L->m + 1) * (L->m + 1) *
                                                sizeof(double));
  r->time_us = t_end - t_start;
  char s1[16], s2[16], s3[16];
  snprintf(r->params, sizeof(r->params), "n=%ld cycles=%ld levels=%d",
           L->m, cycles, nlevels);
  snprintf(r->measure, sizeof(r->measure),
           "residual=%s drop=%s error=%s", fmt_sci(s1, res),
           fmt_sci(s2, drop), fmt_sci(s3, err));
}

const struct app app = {
    .name = "ocean",
    .args = "n=<intervals a side, a power of two, 256> cycles=<V-cycles, 10> "
            "drop=<residual reduction wanted, 1000000>",
    .work_unit = "row sweeps",
    .init = ocean_init,
    .run = ocean_run,
    .corrupt = ocean_corrupt,
    .check = ocean_check,
};
