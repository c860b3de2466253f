// guest-os/user/interactive.c: a user at a shell, for measuring latency.
//
//     interactive [N]           (default: 50)
//
// N times: think for a tick (sleep), then run one small "command": make a
// file, write a line to it (a file-system transaction: the log's blocks
// go to the disk, then a flush), read it back, remove it (a second
// transaction). Each command's time, read from the time CSR, is one
// sample. The last line is
//
//     interactive: N commands, median M us, p90 P us, max X us
//
// Alone, that is what a small command costs. Beside a VM that floods the
// disk (make bench runs it beside `database`), it shows whether the
// monitor's disk scheduler lets a small request through or makes it wait
// behind the flood (issue 13: the real disk is shared round robin by VM,
// hyp/dev/diskq.c).
#include "guest-os/user/ulib.h"

#define MAX_SAMPLES 1000

static uint64_t samples[MAX_SAMPLES];

// One command on file `name`: 0, or -1 if a step failed.
static int command(const char *name, int k) {
  char line[] = "command 000 of interactive\n", back[64];
  int n = (int)strlen(line);
  line[8] = (char)('0' + k / 100 % 10);
  line[9] = (char)('0' + k / 10 % 10);
  line[10] = (char)('0' + k % 10);
  int fd = open(name, O_CREATE | O_WRONLY);
  if (fd < 0 || write(fd, line, n) != n)
    return -1;
  close(fd);
  fd = open(name, O_RDONLY);
  if (fd < 0 || read(fd, back, sizeof(back)) != n || memcmp(line, back, n) != 0)
    return -1;
  close(fd);
  return unlink(name);
}

// Sort the first n samples (insertion sort: n is small).
static void sort(int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && samples[j - 1] > samples[j]; j--) {
      uint64_t t = samples[j];
      samples[j] = samples[j - 1];
      samples[j - 1] = t;
    }
}

int main(int argc, char **argv) {
  long n = 50;
  if (argc > 2 || (argc == 2 && (parse_number(argv[1], &n) < 0 || n < 1 ||
                                 n > MAX_SAMPLES))) {
    fprintf(2, "usage: interactive [N]   (1..%d commands)\n", MAX_SAMPLES);
    return 1;
  }
  char name[16] = "/ia-";           // /ia-PID: one file per run
  int len = 4;
  for (long p = getpid(), d = 10000; d > 0; d /= 10)
    if (p >= d || d == 1)
      name[len++] = (char)('0' + p / d % 10);
  name[len] = 0;
  for (int k = 0; k < n; k++) {
    sleep(1);                         // think
    uint64_t t0 = uptime_us();
    if (command(name, k) < 0) {
      fprintf(2, "interactive: command %d on %s failed\n", k, name);
      unlink(name);
      return 1;
    }
    samples[k] = uptime_us() - t0;
  }
  sort((int)n);
  printf("interactive: %ld commands, median %lu us, p90 %lu us, max %lu us\n", n,
         samples[n / 2], samples[n * 9 / 10], samples[n - 1]);
  return 0;
}
