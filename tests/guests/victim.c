// tests/guests/victim.c: the well-behaved VM that the hostile guests run
// beside (tests/system/test_hostile.py).
//
// For N rounds (bootargs "rounds=N", default 8) it
//   - writes all of its memory that it does not live in (below its image,
//     and from the end of its image to its device tree) with a pattern
//     that depends on the round and the address, then reads it all back;
//   - writes 9 sectors of its disk, a pattern that depends on the round
//     and the sector, 8 through a page-aligned buffer and 1 through a
//     buffer that crosses a page, and reads them back;
// and prints "victim: round R ok". At the end it reads every round's
// sectors once more and prints "victim: N rounds ok". The first mismatch
// is printed with its address (or sector) and the VM powers off with
// "system failure". The system test then checks the disk image for what
// every round wrote ("tag=<word>" names the pattern; default "victim").
//
// What it proves, next to a hostile VM: the monitor kept this VM's
// memory and disk its own, and kept running it, whatever the other did.
#include "kernel/fdt.h"
#include "kernel/string.h"
#include "tests/guests/guest.h"
#include "tests/guests/vblk.h"

#define RAM_BASE 0x80000000UL
#define PAGE 4096UL
#define SECTORS_PER_ROUND 9

extern char _end[];                     // guest.ld: the end of our image

static char tag[16] = "victim";
static uint8_t aligned_buf[8 * 512] __attribute__((aligned(4096)));
static uint8_t cross_buf[2 * 4096] __attribute__((aligned(4096)));
static uint8_t check_buf[8 * 512] __attribute__((aligned(4096)));

// The value of the 8 bytes at address a in round r: a mix of both, so
// that a page of another round, another address or another VM differs.
static uint64_t pattern(uint64_t a, uint64_t r) {
  uint64_t x = (a ^ (r * 0x9e3779b97f4a7c15UL)) * 0xff51afd7ed558ccdUL;
  return x ^ (x >> 29) ^ r;
}

// Write [lo, hi) with round r's pattern, then check it; the address of
// the first mismatch, or 0.
static uint64_t memory_round(uint64_t lo, uint64_t hi, uint64_t r) {
  for (uint64_t a = lo; a < hi; a += 8)
    *(volatile uint64_t *)a = pattern(a, r);
  for (uint64_t a = lo; a < hi; a += 8)
    if (*(volatile uint64_t *)a != pattern(a, r))
      return a;
  return 0;
}

// Sector s as round r writes it: "victim <tag> round <r> sector <s>\n",
// then bytes (7 i + s + r) & 0xff. tests/system/test_hostile.py builds the
// same bytes to check the disk image.
static void fill_sector(uint8_t *p, uint64_t r, uint64_t s) {
  int n = snprintf((char *)p, 512, "victim %s round %lu sector %lu\n", tag, r, s);
  for (int i = n; i < 512; i++)
    p[i] = (uint8_t)(7 * i + s + r);
}

// Round r's sectors: the first of them, then 8 through the aligned
// buffer and 1 through the page-crossing one. Write (or, with check, read
// back and compare); the first bad sector, or -1.
static long disk_round(uint64_t r, bool write) {
  uint64_t s0 = r * SECTORS_PER_ROUND;
  uint8_t *cross = cross_buf + PAGE - 100;     // 412 + 100 bytes
  if (write) {
    for (int i = 0; i < 8; i++)
      fill_sector(aligned_buf + 512 * i, r, s0 + i);
    fill_sector(cross, r, s0 + 8);
    if (vblk_rw(true, s0, aligned_buf, sizeof(aligned_buf)) != VBLK_S_OK)
      return (long)s0;
    if (vblk_rw(true, s0 + 8, cross, 512) != VBLK_S_OK)
      return (long)s0 + 8;
    return -1;
  }
  memset(aligned_buf, 0, sizeof(aligned_buf));
  if (vblk_rw(false, s0, aligned_buf, sizeof(aligned_buf)) != VBLK_S_OK)
    return (long)s0;
  for (int i = 0; i < 8; i++) {
    fill_sector(check_buf, r, s0 + i);
    if (memcmp(aligned_buf + 512 * i, check_buf, 512) != 0)
      return (long)(s0 + i);
  }
  memset(cross, 0, 512);
  fill_sector(check_buf, r, s0 + 8);
  if (vblk_rw(false, s0 + 8, cross, 512) != VBLK_S_OK ||
      memcmp(cross, check_buf, 512) != 0)
    return (long)s0 + 8;
  return -1;
}

// Our RAM's size, from the device tree's memory node.
static uint64_t ram_size(const void *dtb) {
  struct fdt fdt;
  uint64_t base, size;
  if (fdt_init(&fdt, dtb, 64 * 1024) < 0)
    return 0;
  int n = fdt_path(&fdt, "/memory@80000000");
  if (n < 0 || fdt_reg(&fdt, n, 0, &base, &size) < 0 || base != RAM_BASE)
    return 0;
  return size;
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  uint64_t rounds = bootarg_num("rounds", 8);
  bootarg_str("tag", tag, sizeof(tag));
  uint64_t size = ram_size(dtb);
  // Everything but our image (kernel at +2 MiB, through _end: code, data,
  // stacks) and the device tree at the top, which we still read.
  uint64_t image = RAM_BASE + 2 * 1024 * 1024;
  uint64_t lo = ((uint64_t)_end + PAGE - 1) & ~(PAGE - 1);
  uint64_t hi = (uint64_t)dtb & ~(PAGE - 1);
  if (size == 0 || hi <= lo || hi > RAM_BASE + size) {
    printf("victim: cannot tell my memory: size %lx, dtb %p\n", size, dtb);
    checks_failed++;
    finish("victim");
  }
  bool disk = vblk_init();
  if (!disk || vblk_capacity < rounds * SECTORS_PER_ROUND) {
    printf("victim: no usable disk (capacity %lu sectors)\n", vblk_capacity);
    checks_failed++;
    finish("victim");
  }
  printf("victim: %lu rounds over %lu KiB of memory and %d sectors a round\n",
         rounds, ((image - RAM_BASE) + (hi - lo)) / 1024, SECTORS_PER_ROUND);
  for (uint64_t r = 1; r <= rounds; r++) {
    uint64_t bad = memory_round(RAM_BASE, image, r);
    if (bad == 0)
      bad = memory_round(lo, hi, r);
    if (bad != 0) {
      printf("victim: round %lu: memory at %p holds %lx, I wrote %lx\n", r,
             (void *)bad, *(volatile uint64_t *)bad, pattern(bad, r));
      checks_failed++;
      finish("victim");
    }
    long s = disk_round(r, true);
    if (s < 0)
      s = disk_round(r, false);
    if (s >= 0) {
      printf("victim: round %lu: disk sector %ld did not come back as written\n", r, s);
      checks_failed++;
      finish("victim");
    }
    printf("victim: round %lu ok\n", r);
  }
  for (uint64_t r = 1; r <= rounds; r++) {
    long s = disk_round(r, false);
    if (s >= 0) {
      printf("victim: at the end, disk sector %ld of round %lu is not what I wrote\n",
             s, r);
      checks_failed++;
      finish("victim");
    }
  }
  printf("victim: %lu rounds ok\n", rounds);
  finish("victim");
}
