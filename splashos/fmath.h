// splashos/fmath.h: the few libm functions the applications need.
//
// There is no C library here (freestanding, -nostdlib), so these are our
// own. They keep libm's names and contracts (C11 7.12), so the
// applications read like ordinary C. They are written for the double
// precision the checks need (errors of a few units in the last place),
// not for speed or for every corner of IEEE 754.
#ifndef SPLASHOS_FMATH_H
#define SPLASHOS_FMATH_H

#define M_PI 3.14159265358979323846

// The square root, by the F/D extension's own instruction (fsqrt.d,
// unprivileged spec chapter "D" Standard Extension), correctly rounded.
static inline double sqrt(double x) {
  double r;
  asm("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
  return r;
}

static inline double fabs(double x) { return x < 0 ? -x : x; }

// Sine and cosine of x radians; accurate for |x| up to about 1e6.
double sin(double x);
double cos(double x);

#endif
