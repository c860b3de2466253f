// guest-os/user/engineering.c: the engineering workload, a simulator of
// a multiprocessor's memory system.
//
//     engineering [MREFS]           (default: 10 million references)
//
// Models Disco's "Engineering" (Disco section 5.1: Flashlite, the FLASH
// machine's memory-system simulator, and VCS, a Verilog simulator). Such
// a simulator runs almost wholly in user mode over big data structures,
// so under a monitor it costs what its TLB misses and page faults cost:
// Disco measured 6% for it. This one simulates a small shared-memory
// machine: CPUS processors, each with a private L1 cache, sharing one L2
// cache, in front of a memory of MEM_BYTES whose contents it really
// keeps (a multi-MiB array, touched all over). The processors run
// synthetic programs (sweeps, strided walks, a hot set, random reads and
// writes) from a fixed seed, interleaved one reference at a time.
// Caches are set-associative, write-back, write-allocate, with LRU
// replacement; a write invalidates the line in the other processors' L1s
// (a simple invalidation protocol).
//
// The last line is "engineering: checksum 0x... (N refs) in T us";
// the checksum covers every statistic (hits, misses, write-backs,
// invalidations) and the whole final memory: a property of the
// simulation, not of the machine it ran on.
#include "guest-os/user/ulib.h"

#define CPUS       4
#define LINE       64                           // bytes in a cache line
#define L1_SETS    128                          // 4-way: 32 KiB each
#define L1_WAYS    4
#define L2_SETS    2048                         // 8-way: 1 MiB
#define L2_WAYS    8
#define MEM_BYTES  (6L * 1024 * 1024)           // the simulated memory
#define MEM_WORDS  (MEM_BYTES / 8)

// One cache: tags, valid and dirty bits, and LRU ages, set by set.
struct cache {
  int sets, ways;
  uint64_t *tag;                                // line address, per way
  uint32_t *age;                                // last use (a clock)
  uint8_t *state;                               // VALID | DIRTY
  uint64_t hits, misses, writebacks, invalidations;
};
#define VALID 1
#define DIRTY 2

static struct cache l1[CPUS], l2;
static uint64_t *memory;                        // the simulated memory
static uint32_t clock;                          // for LRU

// Per processor: its random number state, its current program and where
// it is in it, and a register that loads go into.
struct cpu {
  uint64_t rng;
  int program;                                  // P_*
  int left;                                     // references until the next
  uint64_t addr, stride, base, span;            //   program is drawn
  uint64_t reg;
  uint64_t loads, stores;
};
static struct cpu cpus[CPUS];

enum { P_SWEEP, P_STRIDE, P_HOT, P_RANDOM, NPROGRAMS };

static uint64_t next_random(uint64_t *s) {      // xorshift64*
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

// Memory for a cache of sets x ways; 0, or -1 if there is none.
static int cache_init(struct cache *c, int sets, int ways) {
  c->sets = sets;
  c->ways = ways;
  c->tag = malloc(sets * ways * sizeof(uint64_t));
  c->age = malloc(sets * ways * sizeof(uint32_t));
  c->state = malloc(sets * ways);
  if (!c->tag || !c->age || !c->state)
    return -1;
  memset(c->state, 0, sets * ways);
  return 0;
}

// The way of `c` holding line `line`, or -1.
static int cache_find(struct cache *c, uint64_t line) {
  int set = (int)(line % (uint64_t)c->sets);
  int base = set * c->ways;
  for (int w = 0; w < c->ways; w++)
    if ((c->state[base + w] & VALID) && c->tag[base + w] == line)
      return base + w;
  return -1;
}

// Bring `line` into `c` (after a miss): take an invalid way, else the
// least recently used one. Its slot; if the line it replaced was dirty,
// that line's address in *dirty_victim (which the caller writes back),
// else NO_LINE.
#define NO_LINE (~0ull)

static int cache_fill(struct cache *c, uint64_t line, uint64_t *dirty_victim) {
  int base = (int)(line % (uint64_t)c->sets) * c->ways;
  int victim = base;
  for (int w = 0; w < c->ways; w++) {
    int i = base + w;
    if (!(c->state[i] & VALID)) {
      victim = i;
      break;
    }
    if (c->age[i] < c->age[victim])
      victim = i;
  }
  *dirty_victim = NO_LINE;
  if ((c->state[victim] & (VALID | DIRTY)) == (VALID | DIRTY)) {
    c->writebacks++;
    *dirty_victim = c->tag[victim];
  }
  c->tag[victim] = line;
  c->state[victim] = VALID;
  return victim;
}

// The slot of `line` in the L2, brought in if missing (a write-back
// from the L2 goes to memory, which needs nothing more here).
static int l2_get(uint64_t line) {
  int s = cache_find(&l2, line);
  if (s >= 0) {
    l2.hits++;
  } else {
    uint64_t ignore;
    l2.misses++;
    s = cache_fill(&l2, line, &ignore);
  }
  l2.age[s] = ++clock;
  return s;
}

// One reference by processor `p` to byte address `addr`: through its L1,
// then the shared L2; a store also invalidates the other L1s' copies.
static void access_caches(int p, uint64_t addr, int store) {
  uint64_t line = addr / LINE;
  struct cache *c = &l1[p];
  int slot = cache_find(c, line);
  if (slot >= 0) {
    c->hits++;
  } else {
    c->misses++;
    l2_get(line);
    uint64_t victim;
    slot = cache_fill(c, line, &victim);
    if (victim != NO_LINE)                      // an L1 write-back dirties
      l2.state[l2_get(victim)] |= DIRTY;        //   the line in the L2
  }
  c->age[slot] = ++clock;
  if (store) {
    c->state[slot] |= DIRTY;
    for (int q = 0; q < CPUS; q++) {
      int other = q == p ? -1 : cache_find(&l1[q], line);
      if (other >= 0) {
        l1[q].state[other] = 0;
        l1[q].invalidations++;
      }
    }
  }
}

// Draw processor p's next program: what it walks, and for how long.
static void new_program(struct cpu *c) {
  uint64_t r = next_random(&c->rng);
  c->program = (int)(r % NPROGRAMS);
  c->left = 2000 + (int)((r >> 8) % 30000);
  c->base = (next_random(&c->rng) % MEM_WORDS) * 8;
  c->span = 64 * 1024 << ((r >> 24) % 5);                // 64 KiB to 1 MiB
  c->stride = c->program == P_STRIDE ? 4096 + 64 * ((r >> 32) % 8) : 8;
  c->addr = c->base;
}

// The byte address of processor c's next reference.
static uint64_t next_address(struct cpu *c) {
  uint64_t a;
  switch (c->program) {
  case P_SWEEP:
  case P_STRIDE:
    a = c->addr;
    c->addr += c->stride;
    if (c->addr >= c->base + c->span)
      c->addr = c->base + (c->addr - c->base) % c->stride + 8;
    break;
  case P_HOT:                                   // 32 KiB, used over and over
    a = c->base + next_random(&c->rng) % (32 * 1024);
    break;
  default:
    a = next_random(&c->rng) % MEM_BYTES;
    break;
  }
  return (a % MEM_BYTES) & ~7ull;
}

// Run the machine for `refs` references, one processor after another.
static void simulate(long refs) {
  for (long i = 0; i < refs; i++) {
    int p = (int)(i % CPUS);
    struct cpu *c = &cpus[p];
    if (c->left-- <= 0)
      new_program(c);
    uint64_t a = next_address(c);
    // A quarter of the references are stores; stores put the register
    // (which holds what the loads saw) into memory, mixed with the
    // address, so the final memory depends on the order of everything.
    int store = (next_random(&c->rng) & 3) == 0;
    access_caches(p, a, store);
    uint64_t *word = &memory[a / 8];
    if (store) {
      *word = (*word ^ c->reg) * 0x9e3779b97f4a7c15ull + a;
      c->stores++;
    } else {
      c->reg = (c->reg << 7 | c->reg >> 57) ^ *word;
      c->loads++;
    }
  }
}

static uint64_t mix(uint64_t h, uint64_t v) {
  return (h ^ v) * 0x100000001b3ull + (h >> 29);
}

int main(int argc, char **argv) {
  long millions = 10;
  if ((argc > 1 && parse_number(argv[1], &millions) < 0) || millions <= 0 ||
      millions > 100000) {
    fprintf(2, "usage: engineering [MILLIONS-OF-REFERENCES]\n");
    return 2;
  }
  long refs = millions * 1000000L;
  uint64_t t0 = uptime_us();
  memory = malloc(MEM_BYTES);
  int ok = memory != NULL && cache_init(&l2, L2_SETS, L2_WAYS) == 0;
  for (int p = 0; ok && p < CPUS; p++)
    ok = cache_init(&l1[p], L1_SETS, L1_WAYS) == 0;
  if (!ok) {
    fprintf(2, "engineering: out of memory (need about %ld MiB)\n",
            MEM_BYTES / (1024 * 1024) + 2);
    return 1;
  }
  // Memory starts as a known pattern: word i holds i, scrambled.
  for (long i = 0; i < MEM_WORDS; i++)
    memory[i] = (uint64_t)i * 0xff51afd7ed558ccdull;
  for (int p = 0; p < CPUS; p++) {
    cpus[p].rng = 0x2545f4914f6cdd1dull * (uint64_t)(p + 1);
    new_program(&cpus[p]);
  }

  simulate(refs);

  uint64_t sum = 14695981039346656037ull;
  for (int p = 0; p < CPUS; p++) {
    sum = mix(sum, l1[p].hits);
    sum = mix(sum, l1[p].misses);
    sum = mix(sum, l1[p].writebacks);
    sum = mix(sum, l1[p].invalidations);
    sum = mix(sum, cpus[p].reg);
  }
  sum = mix(mix(sum, l2.hits), mix(l2.misses, l2.writebacks));
  for (long i = 0; i < MEM_WORDS; i++)
    sum = mix(sum, memory[i]);

  uint64_t l1h = 0, l1m = 0;
  for (int p = 0; p < CPUS; p++)
    l1h += l1[p].hits, l1m += l1[p].misses;
  printf("engineering: L1 %lu hits %lu misses, L2 %lu hits %lu misses, "
         "%lu write-backs to memory\n", l1h, l1m, l2.hits, l2.misses,
         l2.writebacks);
  printf("engineering: checksum 0x%016lx (%ld refs) in %lu us\n", sum,
         refs, uptime_us() - t0);
  return 0;
}
