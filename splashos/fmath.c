// splashos/fmath.c: sin and cos (see splashos/fmath.h).
//
// The classic two steps (as in Cody and Waite, "Software Manual for the
// Elementary Functions", 1980):
//   1. reduce: x = k * (pi/2) + r with |r| <= pi/4, so that
//      sin x is sin r, cos r, -sin r or -cos r depending on k mod 4;
//   2. approximate sin r and cos r on [-pi/4, pi/4] by their Taylor
//      series, cut where the next term is below 1e-17.
// pi/2 is split into a high part with few bits and a low part, so that
// k * (pi/2 high) is exact and the subtraction loses nothing.
#include "splashos/fmath.h"

#define PIO2_HI 1.5707963267341256e+00     // pi/2, first 33 bits
#define PIO2_LO 6.0771005065061922e-11     // pi/2 - PIO2_HI

// sin r for |r| <= pi/4: r - r^3/3! + r^5/5! - ... up to r^17/17!
// (the first left-out term, r^19/19!, is below 1e-18 there).
static double sin_small(double r) {
  double r2 = r * r, term = r, sum = r;
  for (int n = 2; n <= 17; n += 2) {
    term *= -r2 / (n * (n + 1));
    sum += term;
  }
  return sum;
}

// cos r for |r| <= pi/4: 1 - r^2/2! + r^4/4! - ... up to r^18/18!.
static double cos_small(double r) {
  double r2 = r * r, term = 1, sum = 1;
  for (int n = 1; n <= 17; n += 2) {
    term *= -r2 / (n * (n + 1));
    sum += term;
  }
  return sum;
}

// x = k * pi/2 + r; returns r and sets *quadrant = k mod 4.
static double reduce(double x, int *quadrant) {
  double kf = x * (2 / M_PI);
  long k = (long)(kf < 0 ? kf - 0.5 : kf + 0.5);
  *quadrant = (int)(k & 3);
  return (x - k * PIO2_HI) - k * PIO2_LO;
}

double sin(double x) {
  int q;
  double r = reduce(x, &q);
  switch (q) {
  case 0: return sin_small(r);
  case 1: return cos_small(r);
  case 2: return -sin_small(r);
  default: return -cos_small(r);
  }
}

double cos(double x) {
  int q;
  double r = reduce(x, &q);
  switch (q) {
  case 0: return cos_small(r);
  case 1: return -sin_small(r);
  case 2: return -cos_small(r);
  default: return sin_small(r);
  }
}
