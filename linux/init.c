// linux/init.c: /init of Disco-V's Linux guest, the one program in its
// initramfs.
//
// Linux runs it as process 1 once the kernel is up (Documentation/
// admin-guide/initrd.rst: an initramfs's /init). It says what the
// machine looks like from inside the VM, the way Linux sees it (the CPUs,
// the NUMA nodes and their distances, the memory, the disk), checks the
// disk through Linux's own virtio-blk driver, and powers the VM off.
// Every line it prints starts with "init: " so that a test
// (tests/linux/test_linux.py) or a reader can pick them out of the
// kernel's messages.
//
// The disk check, on the raw disk /dev/vda (no filesystem), in 4 KiB
// blocks read and written with O_DIRECT so that each one really goes
// through the virtio queue rather than the page cache:
//
//   block 0        header: magic "disco-v linux", the boot count
//   blocks 1..N    the pattern of the boot that wrote them: word i of
//                  block k of boot b is 0xd15c000000000000 | b<<32 | k<<16 | i
//
// Each boot first checks that the blocks still hold the pattern of the
// boot the header names (the data survived the reboot, or the monitor's
// restart with the same disk), then writes its own pattern and header
// and reads them back. With "disco.reboot-once" on the kernel command
// line, an odd-numbered boot reboots the VM (reboot(RB_AUTOBOOT), which
// the kernel turns into an SBI SRST reboot), so that one run boots twice
// and the second boot checks what the first wrote.
//
// Built with riscv64-linux-gnu-gcc -static (linux/linux.mk); it uses
// glibc like any Linux program.

#define _GNU_SOURCE                   // O_DIRECT, strchrnul
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define DISK          "/dev/vda"
#define DISK_BLOCK    4096
#define DISK_BLOCK_WORDS   (DISK_BLOCK / 8)
#define PATTERN_BLOCKS 256            // blocks 1..256: the first MiB after the header
#define DISK_MAGIC    "disco-v linux"
#define PATTERN_TAG   0xd15c000000000000ULL

// The header in block 0 (the rest of the block is zero).
struct header {
  char magic[16];                   // DISK_MAGIC, NUL-padded
  uint64_t boots;                   // how many boots have written the pattern
  uint64_t blocks;                  // how many pattern blocks they wrote
};

// One block-aligned buffer: O_DIRECT wants the memory aligned too.
static uint64_t block[DISK_BLOCK_WORDS] __attribute__((aligned(DISK_BLOCK)));

// Print one line of the report, "init: " and the formatted text.
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  fputs("init: ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  fflush(stdout);
  va_end(ap);
}

// Read a small text file (a sysfs or procfs one) into buf, without its
// trailing newline. Returns 0, or -1 (buf holds "?") if it cannot be read.
static int read_text(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

  if (fd >= 0)
    close(fd);
  if (n < 0) {
    snprintf(buf, size, "?");
    return -1;
  }
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  return 0;
}

// How many numbers a sysfs list such as "0-3,6" names (Documentation/
// ABI/stable/sysfs-devices-system-cpu: the "online" files' format).
static int list_count(const char *list) {
  int count = 0;
  const char *p = list;

  while (*p >= '0' && *p <= '9') {
    char *end;
    long first = strtol(p, &end, 10), last = first;

    if (*end == '-')
      last = strtol(end + 1, &end, 10);
    count += last - first + 1;
    if (*end != ',')
      break;
    p = end + 1;
  }
  return count;
}

// Mount what /init reads: /proc, /sys, and /dev (devtmpfs, where the
// kernel makes the disk's node). The initramfs has the empty directories.
static void mount_filesystems(void) {
  if (mount("proc", "/proc", "proc", 0, NULL) < 0)
    say("cannot mount /proc: %s", strerror(errno));
  if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
    say("cannot mount /sys: %s", strerror(errno));
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY)
    say("cannot mount /dev: %s", strerror(errno));
}

// Report the kernel, how long it took to get here, the CPUs and memory.
static void report_machine(void) {
  struct utsname u;
  char buf[256], uptime[64];

  uname(&u);
  read_text("/proc/uptime", uptime, sizeof(uptime));
  *strchrnul(uptime, ' ') = '\0';
  say("Linux %s on %s, /init started %s s after the kernel", u.release, u.machine,
    uptime);
  read_text("/sys/devices/system/cpu/online", buf, sizeof(buf));
  say("cpus %d online %s", list_count(buf), buf);

  FILE *f = fopen("/proc/meminfo", "r");
  long kb = -1;

  while (f && fgets(buf, sizeof(buf), f))
    if (sscanf(buf, "MemTotal: %ld kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  say("memory %ld kB", kb);
}

// Report the NUMA nodes Linux found: each one's CPUs, memory and its
// distances to every node (the device tree's /distance-map, as Linux
// read it; 10 is local).
static void report_nodes(void) {
  char online[64], path[128], buf[256];

  read_text("/sys/devices/system/node/online", online, sizeof(online));
  int nodes = list_count(online);

  say("nodes %d online %s", nodes, online);
  for (int n = 0; n < nodes; n++) {
    long kb = -1;

    snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", n);
    FILE *f = fopen(path, "r");

    while (f && fgets(buf, sizeof(buf), f))
      if (sscanf(buf, "Node %*d MemTotal: %ld kB", &kb) == 1)
        break;
    if (f)
      fclose(f);
    snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
    char cpus[64];

    read_text(path, cpus, sizeof(cpus));
    snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/distance", n);
    read_text(path, buf, sizeof(buf));
    say("node %d cpus %s memory %ld kB distances %s", n, cpus, kb, buf);
  }
}

// The word the pattern of boot `boot` puts at word i of block k.
static uint64_t pattern_word(uint64_t boot, uint64_t k, uint64_t i) {
  return PATTERN_TAG | (boot & 0xffff) << 32 | (k & 0xffff) << 16 | i;
}

// Read (write = 0) or write (write = 1) block k of the disk through
// `block`. Returns 0, or -1 after saying what failed.
static int disk_io(int fd, int write, uint64_t k) {
  off_t off = (off_t)k * DISK_BLOCK;
  ssize_t n = write ? pwrite(fd, block, DISK_BLOCK, off) : pread(fd, block, DISK_BLOCK, off);

  if (n != DISK_BLOCK) {
    say("disk: %s of block %lu failed: %s", write ? "write" : "read",
      (unsigned long)k, n < 0 ? strerror(errno) : "short transfer");
    return -1;
  }
  return 0;
}

// Check that blocks 1..blocks hold boot `boot`'s pattern. Returns 0, or
// -1 after naming the first wrong word, its value and the expected one.
static int check_pattern(int fd, uint64_t boot, uint64_t blocks) {
  for (uint64_t k = 1; k <= blocks; k++) {
    if (disk_io(fd, 0, k) < 0)
      return -1;
    for (uint64_t i = 0; i < DISK_BLOCK_WORDS; i++) {
      if (block[i] != pattern_word(boot, k, i)) {
        say("disk: block %lu word %lu is %#lx, expected %#lx (boot %lu's pattern)",
          (unsigned long)k, (unsigned long)i, (unsigned long)block[i],
          (unsigned long)pattern_word(boot, k, i), (unsigned long)boot);
        return -1;
      }
    }
  }
  return 0;
}

// Write boot `boot`'s pattern to blocks 1..blocks, then the header that
// names it (last, so that a header never names a pattern not yet written),
// then fsync, which Linux turns into a virtio-blk flush: the disk's write
// cache is written out before the VM reboots or powers off. Returns 0 or -1.
static int write_pattern(int fd, uint64_t boot, uint64_t blocks) {
  for (uint64_t k = 1; k <= blocks; k++) {
    for (uint64_t i = 0; i < DISK_BLOCK_WORDS; i++)
      block[i] = pattern_word(boot, k, i);
    if (disk_io(fd, 1, k) < 0)
      return -1;
  }
  struct header h = { .boots = boot, .blocks = blocks };

  memset(block, 0, sizeof(block));
  strncpy(h.magic, DISK_MAGIC, sizeof(h.magic));
  memcpy(block, &h, sizeof(h));
  if (disk_io(fd, 1, 0) < 0)
    return -1;
  if (fsync(fd) < 0) {
    say("disk: fsync failed: %s", strerror(errno));
    return -1;
  }
  return 0;
}

// The disk check (see the top of the file). Returns the number of this
// boot (1 on a blank disk), or 0 if there is no disk or the check failed;
// says which, and "disk check ok" when it passed.
static uint64_t check_disk(void) {
  char buf[64];

  if (read_text("/sys/block/vda/size", buf, sizeof(buf)) < 0) {
    say("disk: none (no /sys/block/vda)");
    return 0;
  }
  uint64_t sectors = strtoull(buf, NULL, 10);       // 512-byte sectors, always
  if (sectors < 2 * DISK_BLOCK / 512) {
    say("disk: %lu sectors; the check needs at least %d", (unsigned long)sectors,
      2 * DISK_BLOCK / 512);
    say("disk check FAILED");
    return 0;
  }
  uint64_t blocks = sectors / (DISK_BLOCK / 512) - 1;

  if (blocks > PATTERN_BLOCKS)
    blocks = PATTERN_BLOCKS;
  say("disk vda %lu KiB, checking blocks 0..%lu of %d bytes",
    (unsigned long)(sectors / 2), (unsigned long)blocks, DISK_BLOCK);

  int fd = open(DISK, O_RDWR | O_DIRECT);

  if (fd < 0) {
    say("disk: cannot open %s: %s", DISK, strerror(errno));
    return 0;
  }
  uint64_t boot = 0;
  struct header h;

  if (disk_io(fd, 0, 0) < 0)
    goto bad;
  memcpy(&h, block, sizeof(h));
  if (strncmp(h.magic, DISK_MAGIC, sizeof(h.magic)) != 0) {
    say("disk: no header in block 0: a fresh disk");
  } else if (h.blocks > blocks) {
    say("disk: header says %lu blocks, but only %lu fit", (unsigned long)h.blocks,
      (unsigned long)blocks);
    goto bad;
  } else {
    if (check_pattern(fd, h.boots, h.blocks) < 0)
      goto bad;
    say("disk: boot %lu's %lu blocks read back intact", (unsigned long)h.boots,
      (unsigned long)h.blocks);
    boot = h.boots;
  }
  boot++;
  if (write_pattern(fd, boot, blocks) < 0 || check_pattern(fd, boot, blocks) < 0)
    goto bad;
  close(fd);
  say("disk: this is boot %lu of this disk", (unsigned long)boot);
  say("disk check ok");
  return boot;

bad:
  close(fd);
  say("disk check FAILED");
  return 0;
}

// Whether the kernel command line has the word `word`.
static int cmdline_has(const char *word) {
  char line[1024];
  size_t len = strlen(word);

  read_text("/proc/cmdline", line, sizeof(line));
  for (char *p = strstr(line, word); p; p = strstr(p + 1, word))
    if ((p == line || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
      return 1;
  return 0;
}

int main(void) {
  mount_filesystems();
  report_machine();
  report_nodes();
  uint64_t boot = check_disk();

  sync();
  if (cmdline_has("disco.reboot-once") && boot % 2 == 1) {
    say("rebooting (disco.reboot-once, boot %lu is odd)", (unsigned long)boot);
    reboot(RB_AUTOBOOT);
  } else {
    say("powering off");
    reboot(RB_POWER_OFF);
  }
  // Only if the kernel refused: process 1 must not exit (the kernel
  // would panic), so say so and wait.
  say("reboot failed: %s", strerror(errno));
  for (;;)
    pause();
}
