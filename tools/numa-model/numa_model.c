// tools/numa-model/numa_model.c: a NUMA cost model for QEMU, our SimOS.
//
// Disco was measured on SimOS, a simulator of Stanford's FLASH, where a
// cache miss to memory on the processor's own node took about 300 ns and
// one to another node's memory about 900 ns (Disco section 5.1). QEMU's
// TCG charges every access the same, so on plain QEMU nothing NUMA can be
// measured. This TCG plugin puts the cost back, by modelling:
//
//   every data access of every hart          (a memory callback on every
//        |                                    load and store QEMU translates)
//        v
//   that hart's secondary cache             (set-associative, LRU; by
//        | miss                               default 2 MiB, 4 ways, 128-byte
//        v                                    lines: FLASH-era sizes)
//   the node of the line's physical address  (from the machine's layout)
//        |
//        v
//   local or remote: charged local-ns, or more by distance (below)
//
// and counting instructions per hart (a callback on every block executed,
// charged insn-ns each). A hart's modelled time is
//     insns * insn-ns  +  sum over its misses of the miss's latency,
// and the machine's is the longest hart's. What it leaves out, on purpose,
// to stay small: instruction fetches, coherence between the harts' caches
// (a store does not invalidate other harts' copies), and contention. And
// what it leaves out because QEMU would get it wrong: the rounds of a
// spin-wait loop marked with a PAUSE (is_pause), whose count depends on
// how the host schedules QEMU's threads.
//
// The latency of a miss from a hart on node a to memory on node b follows
// the distance matrix (10 local, 20 the usual remote, as in the device
// tree's /distance-map): local-ns + (remote-ns - local-ns) * (d - 10) / 10,
// so distance 20 costs remote-ns and 40 three times as much extra.
//
// Arguments, as -plugin numa_model.so,name=value,... (tools/qemu.py builds
// them from the machine's knobs; `make qemu NUMA_MODEL=1`):
//   nodes=N           NUMA nodes (1..4)
//   ram-base=ADDR     where RAM starts (QEMU virt: 0x80000000)
//   node-mem=BYTES    RAM per node; node n's follows node n-1's
//   hart-nodes=A.B..  the node of hart 0, 1, ... ('.'-separated: ',' splits
//                     the arguments)
//   dist=D.D..        the distance matrix, row by row (nodes*nodes numbers)
//   cache-kib=2048 ways=4 line=128 local-ns=300 remote-ns=900 insn-ns=5
//   interval=N        also print each hart's line every N million of its
//                     instructions (0: only at the end)
//   image=START-END   the kernel's own memory (tools/qemu.py gives the
//                     loadable segments of -kernel's ELF: for the monitor,
//                     its code, data and bss): remote misses there are
//                     counted apart too, as remote-image
//
// Output (QEMU's log: on stderr, or the file of -D), one line per hart and
// one for the machine, in the `name=value` style of the monitor's counters:
//   numa-model hart2: node=1 insns=... misses-local=... misses-remote=...
//       local-share=..% time-ms=... spin-insns=... remote-image=...
//   numa-model total: insns=... misses-local=... misses-remote=...
//       local-share=..% time-ms=... spin-insns=... remote-image=...
// (spin-insns: instructions of spin-wait loops, not in insns nor charged;
// see is_pause. remote-image: those of misses-remote inside image=.)
//
// Physical addresses: QEMU hands a plugin the guest-physical address of an
// access only when RAM is given with the deprecated -numa node,mem= form;
// with memory backends (-numa node,memdev=) it is an offset inside the
// backend (QEMU 7.2, see ../shared/design.md). tools/qemu.py therefore
// uses the mem= form whenever the model is on.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_api.h"

PLUGIN_EXPORT int qemu_plugin_version = 1;

#define MAX_NODES 4
#define MAX_HARTS 64

// The machine and the model's parameters (set once, by install()).
static int nnodes = 1;
static uint64_t ram_base = 0x80000000ULL, node_mem;
static uint64_t image_start, image_end;   // image=: the kernel's own memory
static int hart_node[MAX_HARTS];
static int dist[MAX_NODES][MAX_NODES];
static uint64_t cache_bytes = 2048 * 1024, line_bytes = 128;
static int ways = 4;
static uint64_t local_ns = 300, remote_ns = 900, insn_ns = 5;
static uint64_t interval;               // instructions between reports; 0: none

static int line_shift;                  // log2(line_bytes)
static uint64_t nsets;                  // sets per cache (a power of two)

// One hart's cache and counters. Only the hart's own QEMU thread touches
// its struct while the machine runs (QEMU runs each hart's callbacks on
// that hart's thread), so no lock is needed; the report at exit runs once
// every hart has stopped.
struct hart {
  uint64_t *tag;                        // [set * ways + way]: line + 1, 0 empty
  uint64_t *stamp;                      // last use of that way, for LRU
  uint64_t clock;                       // this hart's use counter
  uint64_t insns, accesses;
  uint64_t spin_insns;                  // in spin-wait blocks: not charged
  uint64_t miss_local, miss_remote;
  uint64_t remote_image;                // remote misses inside image=
  uint64_t miss_ns;                     // modelled time spent in misses
  uint64_t next_report;                 // insns at which to print next
};
static struct hart harts[MAX_HARTS];

// The node whose memory holds physical address pa, or -1 (not RAM).
static int node_of(uint64_t pa) {
  if (pa < ram_base || node_mem == 0)
    return -1;
  uint64_t n = (pa - ram_base) / node_mem;
  return n < (uint64_t)nnodes ? (int)n : -1;
}

// The modelled latency of a miss from node a to memory on node b.
static uint64_t miss_latency(int a, int b) {
  int d = dist[a][b];
  if (d <= 10)
    return local_ns;
  return local_ns + (remote_ns - local_ns) * (uint64_t)(d - 10) / 10;
}

// Look line up in hart h's cache; on a miss, put it in the least recently
// used way. Returns true on a hit.
static int cache_access(struct hart *h, uint64_t line) {
  uint64_t set = line & (nsets - 1);
  uint64_t *tag = &h->tag[set * ways];
  uint64_t *stamp = &h->stamp[set * ways];
  int victim = 0;
  h->clock++;
  for (int w = 0; w < ways; w++) {
    if (tag[w] == line + 1) {
      stamp[w] = h->clock;
      return 1;
    }
    if (stamp[w] < stamp[victim])
      victim = w;
  }
  tag[victim] = line + 1;
  stamp[victim] = h->clock;
  return 0;
}

static double share(uint64_t local, uint64_t remote) {
  return local + remote ? 100.0 * (double)local / (double)(local + remote) : 100.0;
}

static uint64_t hart_time_ns(const struct hart *h) {
  return h->insns * insn_ns + h->miss_ns;
}

// Print hart i's line.
static void report_hart(int i) {
  const struct hart *h = &harts[i];
  char buf[256];
  snprintf(buf, sizeof(buf),
           "numa-model hart%d: node=%d insns=%" PRIu64 " accesses=%" PRIu64
           " misses-local=%" PRIu64 " misses-remote=%" PRIu64
           " local-share=%.1f%% time-ms=%.3f spin-insns=%" PRIu64
           " remote-image=%" PRIu64 "\n",
           i, hart_node[i], h->insns, h->accesses, h->miss_local, h->miss_remote,
           share(h->miss_local, h->miss_remote), (double)hart_time_ns(h) / 1e6,
           h->spin_insns, h->remote_image);
  qemu_plugin_outs(buf);
}

// Every data access: through the hart's cache, and a miss charged by
// where the line lives.
static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info,
                      uint64_t vaddr, void *udata) {
  if (vcpu >= MAX_HARTS)
    return;
  struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
  if (hw == NULL || qemu_plugin_hwaddr_is_io(hw))
    return;                             // a device register: not memory
  uint64_t pa = qemu_plugin_hwaddr_phys_addr(hw);
  int node = node_of(pa);
  if (node < 0)
    return;                             // ROM, firmware outside RAM
  struct hart *h = &harts[vcpu];
  h->accesses++;
  if (cache_access(h, pa >> line_shift))
    return;
  int mine = hart_node[vcpu];
  if (node == mine) {
    h->miss_local++;
  } else {
    h->miss_remote++;
    if (pa >= image_start && pa < image_end)
      h->remote_image++;
  }
  h->miss_ns += miss_latency(mine, node);
}

// Every block executed: its instructions (udata holds how many).
static void on_block(unsigned int vcpu, void *udata) {
  if (vcpu >= MAX_HARTS)
    return;
  struct hart *h = &harts[vcpu];
  h->insns += (uint64_t)(uintptr_t)udata;
  if (interval != 0 && h->insns >= h->next_report) {
    h->next_report = h->insns + interval;
    report_hart((int)vcpu);
  }
}

// A block of a spin-wait loop: counted apart, not charged (see is_pause).
static void on_spin_block(unsigned int vcpu, void *udata) {
  if (vcpu < MAX_HARTS)
    harts[vcpu].spin_insns += (uint64_t)(uintptr_t)udata;
}

// Is this instruction a PAUSE (Zihintpause, encoded 0x0100000f)? The
// monitor puts one in each of its spin-wait loops (kernel/riscv.h): how
// many times such a loop goes round under QEMU says how long the host
// took to run another QEMU thread, not how long the modelled machine
// would wait, so a block holding one is not charged. Plugin API version 1
// gives the instruction's text alone: QEMU 7.2 shows a PAUSE as its
// encoding and `fence w,0`-like operands, newer QEMUs as "pause".
static bool is_pause(const struct qemu_plugin_insn *insn) {
  char *text = qemu_plugin_insn_disas(insn);
  bool pause = text != NULL && (strncmp(text, "0100000f", 8) == 0 ||
                                strstr(text, "pause") != NULL);
  free(text);                           // QEMU's g_strdup: malloc's memory
  return pause;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  size_t n = qemu_plugin_tb_n_insns(tb);
  bool spin = false;
  for (size_t i = 0; i < n && !spin; i++)
    spin = is_pause(qemu_plugin_tb_get_insn(tb, i));
  qemu_plugin_register_vcpu_tb_exec_cb(tb, spin ? on_spin_block : on_block,
                                       QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
  for (size_t i = 0; i < n; i++)
    qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), on_access,
                                     QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
                                     NULL);
}

static void report_at_exit(qemu_plugin_id_t id, void *udata) {
  struct hart total = {0};
  uint64_t longest = 0;
  for (int i = 0; i < MAX_HARTS; i++) {
    struct hart *h = &harts[i];
    if (h->tag == NULL)
      continue;
    report_hart(i);
    total.insns += h->insns;
    total.spin_insns += h->spin_insns;
    total.remote_image += h->remote_image;
    total.accesses += h->accesses;
    total.miss_local += h->miss_local;
    total.miss_remote += h->miss_remote;
    if (hart_time_ns(h) > longest)
      longest = hart_time_ns(h);
  }
  char buf[256];
  snprintf(buf, sizeof(buf),
           "numa-model total: insns=%" PRIu64 " accesses=%" PRIu64
           " misses-local=%" PRIu64 " misses-remote=%" PRIu64
           " local-share=%.1f%% time-ms=%.3f spin-insns=%" PRIu64
           " remote-image=%" PRIu64 "\n",
           total.insns, total.accesses, total.miss_local, total.miss_remote,
           share(total.miss_local, total.miss_remote), (double)longest / 1e6,
           total.spin_insns, total.remote_image);
  qemu_plugin_outs(buf);
}

// ---- Arguments ----

// Complain about an argument; install() then refuses to load.
static int bad_arg(const char *arg, const char *why) {
  fprintf(stderr, "numa-model: %s: %s\n", arg, why);
  return -1;
}

// Parse "A.B.C" into at most max numbers; returns how many, or -1.
static int parse_list(const char *s, int *out, int max) {
  int n = 0;
  while (*s) {
    char *end;
    long v = strtol(s, &end, 0);
    if (end == s || n == max || v < 0)
      return -1;
    out[n++] = (int)v;
    s = end;
    if (*s == '.')
      s++;
    else if (*s != 0)
      return -1;
  }
  return n;
}

static int parse_arg(const char *arg) {
  const char *eq = strchr(arg, '=');
  if (eq == NULL)
    return bad_arg(arg, "expected name=value");
  const char *v = eq + 1;
  size_t k = (size_t)(eq - arg);
  char *end;
  uint64_t num = strtoull(v, &end, 0);
  bool is_num = end != v && *end == 0;
  if (k == 10 && strncmp(arg, "hart-nodes", k) == 0) {
    int n = parse_list(v, hart_node, MAX_HARTS);
    return n < 0 ? bad_arg(arg, "expected node numbers separated by '.'") : 0;
  }
  if (k == 4 && strncmp(arg, "dist", k) == 0) {
    int d[MAX_NODES * MAX_NODES];
    int n = parse_list(v, d, MAX_NODES * MAX_NODES);
    if (n != nnodes * nnodes)
      return bad_arg(arg, "expected nodes*nodes distances (give nodes= first)");
    for (int i = 0; i < n; i++)
      dist[i / nnodes][i % nnodes] = d[i];
    return 0;
  }
  if (k == 5 && strncmp(arg, "image", k) == 0) {
    char *dash;
    image_start = strtoull(v, &dash, 0);
    if (dash == v || *dash != '-')
      return bad_arg(arg, "expected START-END");
    image_end = strtoull(dash + 1, &end, 0);
    if (end == dash + 1 || *end != 0 || image_end <= image_start)
      return bad_arg(arg, "expected START-END, START below END");
    return 0;
  }
  if (!is_num)
    return bad_arg(arg, "expected a number");
  if (k == 5 && strncmp(arg, "nodes", k) == 0) {
    if (num < 1 || num > MAX_NODES)
      return bad_arg(arg, "nodes must be 1 to 4");
    nnodes = (int)num;
  } else if (k == 8 && strncmp(arg, "ram-base", k) == 0) {
    ram_base = num;
  } else if (k == 8 && strncmp(arg, "node-mem", k) == 0) {
    node_mem = num;
  } else if (k == 9 && strncmp(arg, "cache-kib", k) == 0) {
    cache_bytes = num * 1024;
  } else if (k == 4 && strncmp(arg, "ways", k) == 0) {
    ways = (int)num;
  } else if (k == 4 && strncmp(arg, "line", k) == 0) {
    line_bytes = num;
  } else if (k == 8 && strncmp(arg, "local-ns", k) == 0) {
    local_ns = num;
  } else if (k == 9 && strncmp(arg, "remote-ns", k) == 0) {
    remote_ns = num;
  } else if (k == 7 && strncmp(arg, "insn-ns", k) == 0) {
    insn_ns = num;
  } else if (k == 8 && strncmp(arg, "interval", k) == 0) {
    interval = num * 1000000;
  } else {
    return bad_arg(arg, "unknown argument");
  }
  return 0;
}

// The cache's shape must be powers of two that fit together.
static int check_cache(void) {
  if (line_bytes < 8 || (line_bytes & (line_bytes - 1)) != 0)
    return bad_arg("line", "must be a power of two, at least 8");
  if (ways < 1 || ways > 64)
    return bad_arg("ways", "must be 1 to 64");
  nsets = cache_bytes / line_bytes / (uint64_t)ways;
  if (nsets == 0 || (nsets & (nsets - 1)) != 0)
    return bad_arg("cache-kib", "cache-kib*1024 / line / ways must be a power of two");
  for (line_shift = 0; (1ULL << line_shift) < line_bytes; line_shift++)
    ;
  return 0;
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                      int argc, char **argv) {
  for (int a = 0; a < MAX_NODES; a++)
    for (int b = 0; b < MAX_NODES; b++)
      dist[a][b] = a == b ? 10 : 20;   // the binding's defaults (numa.txt)
  for (int i = 0; i < argc; i++)
    if (parse_arg(argv[i]) < 0)
      return -1;
  if (node_mem == 0)
    return bad_arg("node-mem", "missing: the model needs the machine's layout");
  if (check_cache() < 0)
    return -1;
  int nharts = info->system_emulation ? info->system.max_vcpus : 1;
  if (nharts > MAX_HARTS)
    return bad_arg("harts", "more than 64");
  for (int i = 0; i < nharts; i++) {
    if (hart_node[i] >= nnodes)
      return bad_arg("hart-nodes", "names a node the machine does not have");
    harts[i].tag = calloc(nsets * (uint64_t)ways, sizeof(uint64_t));
    harts[i].stamp = calloc(nsets * (uint64_t)ways, sizeof(uint64_t));
    harts[i].next_report = interval;
    if (harts[i].tag == NULL || harts[i].stamp == NULL)
      return bad_arg("cache-kib", "out of host memory for the caches");
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, report_at_exit, NULL);
  return 0;
}
