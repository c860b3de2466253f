// splashos/apps/lu.c: blocked LU decomposition of a dense matrix.
//
// The algorithm of SPLASH-2's LU kernel, "contiguous blocks" version
// (Woo et al., ISCA 1995), in our own code. A is n x n, cut into B x B
// blocks; A = L U with L unit lower triangular and U upper triangular,
// overwriting A, without pivoting (the matrix is made diagonally dominant,
// so no pivot is ever small; SPLASH-2 does the same). For each diagonal
// block k, with barriers between the three phases:
//
//   1. diagonal    factor block (k,k) in place:           A_kk = L_kk U_kk
//   2. perimeter   row blocks:    A_kj := L_kk^-1 A_kj    (j > k)
//                  column blocks: A_ik := A_ik U_kk^-1    (i > k)
//   3. interior    A_ij := A_ij - A_ik A_kj               (i, j > k)
//
// Each block belongs to one thread for the whole run: the threads form a
// pr x pc grid and block (i,j) goes to thread (i mod pr) * pc + (j mod pc),
// the 2-D scatter decomposition that spreads the shrinking trailing
// matrix evenly. A block is stored contiguously in pages of its own,
// first touched by its owner: that is the point of the "contiguous"
// version, and under Disco it puts each block on its owner's node.
//
// Every block operation runs on one thread with the same arithmetic in the
// same order whoever runs it, so the factors are bit-for-bit the same for
// any thread count, and so is their checksum.
//
// Boot arguments: n (matrix order), block (B; must divide n).
#include "kernel/printf.h"
#include "splashos/app.h"
#include "splashos/args.h"
#include "splashos/clock.h"
#include "splashos/fmath.h"
#include "splashos/heap.h"
#include "splashos/num.h"
#include "splashos/thread.h"

#define SEED 0x5eed0101ULL

static long n, bs, nb;        // order, block size, blocks per side
static int pr, pc;            // the thread grid: pr rows, pc columns
static double **blocks;       // blocks[i * nb + j]: block (i,j), row-major
static double *b, *x;         // right-hand side and solution (check only)
static uint64_t t_start, t_end;

// Element (r,c) of the original matrix: random in [-1,1), plus n on the
// diagonal, which makes every row diagonally dominant.
static double a_orig(long r, long c) {
  return rand_unit(SEED, (uint64_t)r * n + c) + (r == c ? (double)n : 0);
}

// The block that holds (r,c), and the element's place in it.
static double *elem(long r, long c) {
  return &blocks[(r / bs) * nb + c / bs][(r % bs) * bs + c % bs];
}

static int owner(long bi, long bj) {
  return (int)((bi % pr) * pc + bj % pc);
}

// Split the threads into the squarest pr x pc grid: pr the largest
// divisor of nthreads not above its square root.
static void thread_grid(int nthreads) {
  pr = 1;
  for (int d = 1; d * d <= nthreads; d++)
    if (nthreads % d == 0)
      pr = d;
  pc = nthreads / pr;
}

static int lu_init(int nthreads) {
  n = arg_long("n", 512);
  bs = arg_long("block", 16);
  if (n < 1 || bs < 1 || n % bs != 0) {
    printf("lu: want n >= 1 and block >= 1 dividing n (got n=%ld "
           "block=%ld)\n", n, bs);
    return -1;
  }
  nb = n / bs;
  thread_grid(nthreads);
  blocks = splash_alloc(nb * nb * sizeof(double *));
  for (long i = 0; i < nb * nb; i++)
    blocks[i] = splash_alloc(bs * bs * sizeof(double));
  b = splash_alloc(n * sizeof(double));
  x = splash_alloc(n * sizeof(double));
  return 0;
}

// Phase 1: factor one block in place (plain LU, no pivoting). Afterwards
// its strict lower part is L (unit diagonal implied) and the rest is U.
static void factor_diag(double *a) {
  for (long k = 0; k < bs; k++)
    for (long i = k + 1; i < bs; i++) {
      double l = a[i * bs + k] /= a[k * bs + k];
      for (long j = k + 1; j < bs; j++)
        a[i * bs + j] -= l * a[k * bs + j];
    }
}

// Phase 2, a block to the right of the diagonal: a := L^-1 a, with L the
// unit lower triangle of d (forward substitution, column by column).
static void solve_row_block(const double *d, double *a) {
  for (long k = 0; k < bs; k++)
    for (long i = k + 1; i < bs; i++)
      for (long j = 0; j < bs; j++)
        a[i * bs + j] -= d[i * bs + k] * a[k * bs + j];
}

// Phase 2, a block below the diagonal: a := a U^-1, with U the upper
// triangle of d (each row of a solves x U = row).
static void solve_col_block(const double *d, double *a) {
  for (long i = 0; i < bs; i++)
    for (long k = 0; k < bs; k++) {
      double v = a[i * bs + k] /= d[k * bs + k];
      for (long j = k + 1; j < bs; j++)
        a[i * bs + j] -= v * d[k * bs + j];
    }
}

// Phase 3: c := c - l u, for three B x B blocks.
static void update_block(double *c, const double *l, const double *u) {
  for (long i = 0; i < bs; i++)
    for (long k = 0; k < bs; k++) {
      double v = l[i * bs + k];
      for (long j = 0; j < bs; j++)
        c[i * bs + j] -= v * u[k * bs + j];
    }
}

// First touch: each thread writes the original values of its own blocks.
static void fill_my_blocks(int tid) {
  for (long bi = 0; bi < nb; bi++)
    for (long bj = 0; bj < nb; bj++)
      if (owner(bi, bj) == tid)
        for (long r = 0; r < bs; r++)
          for (long c = 0; c < bs; c++)
            blocks[bi * nb + bj][r * bs + c] =
                a_orig(bi * bs + r, bj * bs + c);
}

// One step k of the factorization, as this thread's part of it.
static void lu_step(int tid, long k) {
  double *diag = blocks[k * nb + k];
  if (owner(k, k) == tid) {
    factor_diag(diag);
    work_add(1);
  }
  barrier();
  for (long j = k + 1; j < nb; j++) {
    if (owner(k, j) == tid) {
      solve_row_block(diag, blocks[k * nb + j]);
      work_add(1);
    }
    if (owner(j, k) == tid) {
      solve_col_block(diag, blocks[j * nb + k]);
      work_add(1);
    }
  }
  barrier();
  for (long i = k + 1; i < nb; i++)
    for (long j = k + 1; j < nb; j++)
      if (owner(i, j) == tid) {
        update_block(blocks[i * nb + j], blocks[i * nb + k],
                     blocks[k * nb + j]);
        work_add(1);
      }
  // No barrier here: the next step's diagonal block is updated and then
  // factored by the same thread, and the barrier after phase 1 keeps
  // everyone else from reading it too early.
}

static void lu_run(int tid) {
  fill_my_blocks(tid);
  barrier();
  if (tid == 0)
    t_start = clock_us();
  for (long k = 0; k < nb; k++)
    lu_step(tid, k);
  barrier();
  if (tid == 0)
    t_end = clock_us();
}

// Change one element of U: the factors no longer multiply back to A.
static void lu_corrupt(void) { *elem(n / 3, n / 2) += 1.0; }

// Solve L U x = b for b = A * (1, 1, ..., 1), whose solution is all ones,
// and report the scaled residual ||A x - b|| / (||A|| ||x||) (infinity
// norms), which is about the machine epsilon when the factors are right.
static double residual(double *maxerr) {
  double anorm = 0;
  for (long r = 0; r < n; r++) {
    double s = 0, row = 0;
    for (long c = 0; c < n; c++) {
      s += a_orig(r, c);
      row += fabs(a_orig(r, c));
    }
    b[r] = s;
    anorm = row > anorm ? row : anorm;
  }
  for (long r = 0; r < n; r++) {        // L y = b (unit diagonal)
    double s = b[r];
    for (long c = 0; c < r; c++)
      s -= *elem(r, c) * x[c];
    x[r] = s;
  }
  for (long r = n - 1; r >= 0; r--) {   // U x = y
    double s = x[r];
    for (long c = r + 1; c < n; c++)
      s -= *elem(r, c) * x[c];
    x[r] = s / *elem(r, r);
  }
  double rnorm = 0, xnorm = 0;
  *maxerr = 0;
  for (long r = 0; r < n; r++) {
    double s = -b[r];
    for (long c = 0; c < n; c++)
      s += a_orig(r, c) * x[c];
    rnorm = fabs(s) > rnorm ? fabs(s) : rnorm;
    xnorm = fabs(x[r]) > xnorm ? fabs(x[r]) : xnorm;
    *maxerr = fabs(x[r] - 1) > *maxerr ? fabs(x[r] - 1) : *maxerr;
  }
  return rnorm / (anorm * xnorm);
}

static void lu_check(struct result *r) {
  double maxerr, res = residual(&maxerr);
  // Far looser than the epsilon-sized residual a right answer gives, and
  // far tighter than the 1e-3 or so a single wrong element gives.
  r->ok = res < 1e-12 && maxerr < 1e-9;
  uint64_t h = HASH_INIT;
  for (long i = 0; i < nb * nb; i++)
    h = hash_bytes(h, blocks[i], bs * bs * sizeof(double));
  r->checksum = h;
  r->time_us = t_end - t_start;
  char s1[16], s2[16];
  snprintf(r->params, sizeof(r->params), "n=%ld block=%ld", n, bs);
  snprintf(r->measure, sizeof(r->measure), "residual=%s xerr=%s",
           fmt_sci(s1, res), fmt_sci(s2, maxerr));
}

const struct app app = {
    .name = "lu",
    .args = "n=<matrix order, 512> block=<block size dividing n, 16>",
    .work_unit = "block operations",
    .init = lu_init,
    .run = lu_run,
    .corrupt = lu_corrupt,
    .check = lu_check,
};
