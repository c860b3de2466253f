// splashos/apps/raytrace.c: a ray tracer over a uniform grid, after
// SPLASH-2's RAYTRACE.
//
// RAYTRACE renders a scene by following, from the eye, one ray per pixel
// into the scene, and from each hit a shadow ray to the light and a
// reflected ray (Whitted, "An Improved Illumination Model for Shaded
// Display", CACM 1980). The scene sits in a uniform grid so that a ray
// tests only the objects in the cells it passes through (Fujimoto et al.
// 1986; the cell walk is Amanatides and Woo, "A Fast Voxel Traversal
// Algorithm for Ray Tracing", Eurographics 1987). The image is cut into
// tiles, and the tiles into one task queue per thread, as in SPLASH-2:
// each thread starts on its own band of tiles, and one that runs out
// steals from the back of another's queue. Tiles differ a lot in cost (sky
// is cheap, mirrors are dear), so a static split would leave threads idle.
//
// Our scene, our own code: a g x g forest of spheres standing on a
// checkered floor. Cell (i,k) of a g x g grid over the floor holds exactly
// one sphere, entirely inside the cell, so the first sphere a ray hits
// along its cell walk is the nearest one. The scene is written once by the
// boot hart and then only read, by every thread: under Disco, read-shared
// pages like these are the ones the monitor replicates on every node
// (Disco section 4.2.2; Raytrace went from 6% to 76% local misses).
//
// The check: every tile rendered exactly once, and a sample of pixels
// rendered again on one hart gives the same colours. The checksum of the
// image is the same for any thread count: each pixel is computed by the
// same code whoever computes it.
//
// Boot arguments: size (image side, pixels), spheres (g), ascii (1: print
// a small picture of the image on the console).
#include "kernel/printf.h"
#include "kernel/spinlock.h"
#include "splashos/app.h"
#include "splashos/args.h"
#include "splashos/clock.h"
#include "splashos/fmath.h"
#include "splashos/heap.h"
#include "splashos/num.h"
#include "splashos/param.h"
#include "splashos/thread.h"

#define SEED 0x5eed0401ULL
#define TILE 16                  // tiles are TILE x TILE pixels
#define MAX_DEPTH 3              // reflections followed
#define SAMPLE_STRIDE 7          // check() re-renders every 7th pixel
#define EPS 1e-6
#define FAR 1e30

struct vec {
  double x, y, z;
};

struct sphere {
  struct vec c;                  // centre
  double r;                      // radius
  struct vec colour;             // diffuse colour, components in [0, 1]
  double reflect;                // share of the reflected ray's colour
};

// What a ray hit: where along it, the surface normal there, the material.
struct hit {
  double t;
  struct vec n;
  struct vec colour;
  double reflect;
};

static long size, g;             // image side; spheres per grid side
static bool ascii;
static struct sphere *spheres;   // g x g, sphere (i,k) at [k * g + i]
static uint32_t *image;          // size x size pixels, 0x00RRGGBB
static uint32_t *tile_done;      // times each tile was rendered
static long ntiles, tiles_across;
static int nthreads;

// A thread's task queue: the tiles [next, end) not yet taken. The owner
// takes from the front, thieves from the back; the lock makes each take
// atomic. Padded to 64 bytes so that two queues never share a cache line.
static struct queue {
  struct spinlock lock;
  long next, end;
  char pad[64 - sizeof(struct spinlock) - 2 * sizeof(long)];
} queues[MAX_HARTS];
static long stolen;              // tiles taken from another's queue
static struct vec eye, forward, right, up, light;
static uint64_t t_start, t_end;

static struct vec v(double x, double y, double z) {
  struct vec r = {x, y, z};
  return r;
}
static struct vec add(struct vec a, struct vec b) {
  return v(a.x + b.x, a.y + b.y, a.z + b.z);
}
static struct vec sub(struct vec a, struct vec b) {
  return v(a.x - b.x, a.y - b.y, a.z - b.z);
}
static struct vec scale(struct vec a, double s) {
  return v(a.x * s, a.y * s, a.z * s);
}
static double dot(struct vec a, struct vec b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
static struct vec cross(struct vec a, struct vec b) {
  return v(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z,
           a.x * b.y - a.y * b.x);
}
static struct vec unit(struct vec a) { return scale(a, 1 / sqrt(dot(a, a))); }

// The largest integer <= x (there is no libm floor here).
static long floor_l(double x) {
  long i = (long)x;
  return (double)i > x ? i - 1 : i;
}

// The scene: sphere (i,k) has a random radius, sits on the floor at a
// random spot inside its cell (so it never leaves the cell), and has a
// random colour; one in three is a mirror. The grid spans [-g/2, g/2] in
// x and z.
static void build_scene(void) {
  for (long k = 0; k < g; k++)
    for (long i = 0; i < g; i++) {
      uint64_t id = (uint64_t)(k * g + i) * 8;
      struct sphere *s = &spheres[k * g + i];
      s->r = 0.2 + 0.25 * (rand_unit(SEED, id) + 1) / 2;
      double room = 0.5 - s->r;
      s->c = v(i - g / 2.0 + 0.5 + room * rand_unit(SEED, id + 1), s->r,
               k - g / 2.0 + 0.5 + room * rand_unit(SEED, id + 2));
      s->colour = v(0.6 + 0.4 * rand_unit(SEED, id + 3),
                    0.6 + 0.4 * rand_unit(SEED, id + 4),
                    0.6 + 0.4 * rand_unit(SEED, id + 5));
      s->reflect = rand_u64(SEED, id + 6) % 3 == 0 ? 0.5 : 0.0;
    }
  // The eye above and behind the front edge, looking at the middle.
  eye = v(0, 0.45 * g + 1, -0.8 * g - 2);
  forward = unit(sub(v(0, 0, 0.1 * g), eye));
  right = unit(cross(v(0, 1, 0), forward));
  up = cross(forward, right);
  light = v(0.4 * g, g + 4.0, -0.3 * g);
}

static int raytrace_init(int threads) {
  size = arg_long("size", 256);
  g = arg_long("spheres", 24);
  ascii = arg_long("ascii", 0) != 0;
  if (size < 1 || size > 4096 || g < 1 || g > 1024) {
    printf("raytrace: want size in 1..4096 and spheres in 1..1024 (got "
           "size=%ld spheres=%ld)\n", size, g);
    return -1;
  }
  tiles_across = (size + TILE - 1) / TILE;
  ntiles = tiles_across * tiles_across;
  nthreads = threads;
  for (int t = 0; t < nthreads; t++) {
    spinlock_init(&queues[t].lock, "tile queue");
    thread_share(ntiles, t, &queues[t].next, &queues[t].end);
  }
  spheres = splash_alloc(g * g * sizeof(struct sphere));
  image = splash_alloc(size * size * sizeof(uint32_t));
  tile_done = splash_alloc(ntiles * sizeof(uint32_t));
  build_scene();
  return 0;
}

// The nearest t > EPS where o + t d meets sphere s, or FAR. |d| = 1.
static double hit_sphere(const struct sphere *s, struct vec o, struct vec d) {
  struct vec oc = sub(o, s->c);
  double b = dot(oc, d), c = dot(oc, oc) - s->r * s->r;
  double disc = b * b - c;
  if (disc < 0)
    return FAR;
  double q = sqrt(disc);
  if (-b - q > EPS)
    return -b - q;
  return -b + q > EPS ? -b + q : FAR;
}

// Walk the grid cells the ray crosses while it is low enough to touch a
// sphere (y in [0, 1]), in order of t; the first sphere hit is the
// nearest. Returns its t (FAR for none) and the sphere in *which.
static double walk_grid(struct vec o, struct vec d, const struct sphere **which) {
  // The stretch [t0, t1] of the ray inside the slab 0 <= y <= 1.
  double t0 = 0, t1 = FAR;
  if (d.y != 0) {
    double ta = (0 - o.y) / d.y, tb = (1 - o.y) / d.y;
    t0 = ta < tb ? ta : tb;
    t1 = ta < tb ? tb : ta;
    t0 = t0 > 0 ? t0 : 0;
  } else if (o.y < 0 || o.y > 1) {
    return FAR;
  }
  if (t1 <= t0)
    return FAR;
  // The cell where that stretch starts, and the Amanatides-Woo state:
  // t of the next x and z cell walls, and t between walls.
  double half = g / 2.0;
  struct vec p = add(o, scale(d, t0));
  long i = floor_l(p.x + half), k = floor_l(p.z + half);
  long si = d.x > 0 ? 1 : -1, sk = d.z > 0 ? 1 : -1;
  double dti = d.x != 0 ? fabs(1 / d.x) : FAR;
  double dtk = d.z != 0 ? fabs(1 / d.z) : FAR;
  double ti = d.x != 0 ? t0 + ((si > 0 ? i + 1 : i) - (p.x + half)) / d.x : FAR;
  double tk = d.z != 0 ? t0 + ((sk > 0 ? k + 1 : k) - (p.z + half)) / d.z : FAR;
  for (double t = t0; t <= t1;) {
    if (i >= 0 && i < g && k >= 0 && k < g) {
      const struct sphere *s = &spheres[k * g + i];
      double th = hit_sphere(s, o, d);
      if (th < FAR) {
        *which = s;
        return th;
      }
    } else if ((i < 0 && si < 0) || (i >= g && si > 0) ||
               (k < 0 && sk < 0) || (k >= g && sk > 0)) {
      return FAR;                       // left the grid for good
    }
    if (ti < tk) {
      t = ti;
      ti += dti;
      i += si;
    } else {
      t = tk;
      tk += dtk;
      k += sk;
    }
  }
  return FAR;
}

// The nearest surface along the ray: a sphere or the floor (y = 0, in
// 1 x 1 checks). False when the ray goes off into the sky.
static bool trace(struct vec o, struct vec d, struct hit *h) {
  const struct sphere *s = 0;
  h->t = walk_grid(o, d, &s);
  double tf = d.y < 0 ? -o.y / d.y : FAR;
  if (tf > EPS && tf < h->t) {
    struct vec p = add(o, scale(d, tf));
    bool dark = (floor_l(p.x) + floor_l(p.z)) & 1;
    h->t = tf;
    h->n = v(0, 1, 0);
    h->colour = dark ? v(0.15, 0.15, 0.2) : v(0.85, 0.85, 0.8);
    h->reflect = 0.2;
    return true;
  }
  if (s == 0)
    return false;
  h->n = unit(sub(add(o, scale(d, h->t)), s->c));
  h->colour = s->colour;
  h->reflect = s->reflect;
  return true;
}

// The colour seen along a ray: ambient, plus diffuse and a specular
// highlight (Phong, exponent 32) if the light is not blocked, plus a
// share of what the mirror direction sees.
static struct vec shade(struct vec o, struct vec d, int depth) {
  struct hit h;
  if (!trace(o, d, &h))
    return scale(v(0.4, 0.6, 0.9), 0.6 + 0.4 * fabs(d.y));    // sky
  struct vec p = add(add(o, scale(d, h.t)), scale(h.n, 1e-4));
  struct vec to_light = sub(light, p);
  double dist = sqrt(dot(to_light, to_light));
  struct vec l = scale(to_light, 1 / dist);
  struct vec c = scale(h.colour, 0.1);
  double lambert = dot(h.n, l);
  const struct sphere *blocker;
  if (lambert > 0 && walk_grid(p, l, &blocker) > dist) {
    c = add(c, scale(h.colour, 0.8 * lambert));
    struct vec refl_l = sub(scale(h.n, 2 * lambert), l);
    double spec = -dot(refl_l, d);
    if (spec > 0) {
      for (int i = 0; i < 5; i++)       // spec^32 by squaring
        spec *= spec;
      c = add(c, v(0.5 * spec, 0.5 * spec, 0.5 * spec));
    }
  }
  if (h.reflect > 0 && depth < MAX_DEPTH) {
    struct vec rd = sub(d, scale(h.n, 2 * dot(d, h.n)));
    c = add(scale(c, 1 - h.reflect), scale(shade(p, rd, depth + 1), h.reflect));
  }
  return c;
}

// One colour component in [0, 1] (or beyond: clamped) as a byte.
static uint32_t to_byte(double x) {
  return x <= 0 ? 0 : x >= 1 ? 255 : (uint32_t)(x * 255 + 0.5);
}

// The pixel in column px, row py (row 0 at the top), as 0x00RRGGBB.
static uint32_t render_pixel(long px, long py) {
  double u = (2 * (px + 0.5) / size - 1) * 0.6;    // a ~62 degree view
  double w = (1 - 2 * (py + 0.5) / size) * 0.6;
  struct vec d = unit(add(forward, add(scale(right, u), scale(up, w))));
  struct vec c = shade(eye, d, 0);
  return to_byte(c.x) << 16 | to_byte(c.y) << 8 | to_byte(c.z);
}

static void render_tile(long tile) {
  long x0 = tile % tiles_across * TILE, y0 = tile / tiles_across * TILE;
  for (long py = y0; py < y0 + TILE && py < size; py++)
    for (long px = x0; px < x0 + TILE && px < size; px++)
      image[py * size + px] = render_pixel(px, py);
  tile_done[tile]++;
}

// The next tile for thread tid: from its own queue if any is left, else
// stolen from the next thread's that has some. -1 when all are taken.
static long take_tile(int tid) {
  for (int i = 0; i < nthreads; i++) {
    struct queue *q = &queues[(tid + i) % nthreads];
    long tile = -1;
    acquire(&q->lock);
    if (q->next < q->end)
      tile = i == 0 ? q->next++ : --q->end;
    release(&q->lock);
    if (tile >= 0) {
      if (i > 0)
        __atomic_fetch_add(&stolen, 1, __ATOMIC_RELAXED);
      return tile;
    }
  }
  return -1;
}

static void raytrace_run(int tid) {
  // Nobody knows in advance who renders which tile, so deal the image's
  // pages out round-robin.
  splash_touch_interleaved(image, size * size * sizeof(uint32_t));
  if (tid == 0)
    splash_touch(tile_done, ntiles * sizeof(uint32_t));
  barrier();
  if (tid == 0)
    t_start = clock_us();
  for (long tile; (tile = take_tile(tid)) >= 0;) {
    render_tile(tile);
    work_add(1);
  }
  barrier();
  if (tid == 0)
    t_end = clock_us();
}

// A bug that loses a tile: it is never drawn (here, drawn magenta).
static void raytrace_corrupt(void) {
  for (long py = 0; py < TILE && py < size; py++)
    for (long px = 0; px < TILE && px < size; px++)
      image[py * size + px] = 0xff00ff;
}

// A 64 x 32 character picture, darkest to brightest " .:-=+*#%@".
static void print_ascii(void) {
  static const char ramp[] = " .:-=+*#%@";
  char line[65];
  for (int row = 0; row < 32; row++) {
    for (int col = 0; col < 64; col++) {
      uint32_t p = image[(row * size / 32) * size + col * size / 64];
      uint32_t lum = ((p >> 16 & 255) * 3 + (p >> 8 & 255) * 6 + (p & 255)) / 10;
      line[col] = ramp[lum * 10 / 256];
    }
    line[64] = 0;
    printf("|%s|\n", line);
  }
}

static void raytrace_check(struct result *r) {
  long wrong_tiles = 0, wrong_pixels = 0;
  for (long t = 0; t < ntiles; t++)
    wrong_tiles += tile_done[t] != 1;
  for (long i = 0; i < size * size; i += SAMPLE_STRIDE)
    wrong_pixels += render_pixel(i % size, i / size) != image[i];
  if (ascii)
    print_ascii();
  r->ok = wrong_tiles == 0 && wrong_pixels == 0;
  r->checksum = hash_bytes(HASH_INIT, image, size * size * sizeof(uint32_t));
  r->time_us = t_end - t_start;
  snprintf(r->params, sizeof(r->params), "size=%ld spheres=%ld", size, g * g);
  snprintf(r->measure, sizeof(r->measure),
           "tiles=%ld stolen=%ld wrong_tiles=%ld resampled=%ld wrong_pixels=%ld",
           ntiles, stolen, wrong_tiles,
           (size * size + SAMPLE_STRIDE - 1) / SAMPLE_STRIDE, wrong_pixels);
}

const struct app app = {
    .name = "raytrace",
    .args = "size=<image side in pixels, 256> spheres=<grid side, 24> "
            "ascii=<1: print a picture, 0>",
    .work_unit = "tiles",
    .init = raytrace_init,
    .run = raytrace_run,
    .corrupt = raytrace_corrupt,
    .check = raytrace_check,
};
