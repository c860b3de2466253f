// splashos/machine.c: read the machine from the device tree (see
// splashos/machine.h).
//
// Where the Devicetree Specification v0.4 defines what we read:
//   /cpus/timebase-frequency   rdtime ticks per second       (spec 3.7)
//   /cpus/cpu@N                reg = hart id; status          (spec 3.8)
//   /memory@...                device_type "memory", reg      (spec 3.4)
//   /reserved-memory/*, /memreserve/   firmware's own memory  (3.5, 5.3)
//   /chosen/bootargs           the boot arguments             (spec 3.6)
//   numa-node-id               Linux's bindings/numa.txt
#include "kernel/dt_machine.h"
#include "kernel/fdt.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "splashos/machine.h"

struct machine machine;

extern char _entry[], _image_end[];

// Say what is wrong with the tree; return -1 for the caller to pass on.
static int bad(const char *what, long value) {
  printf("splashos: bad device tree: %s (value %ld)\n", what, value);
  return -1;
}

// Record that node n exists. Returns 0, or -1 for an id we cannot hold.
static int see_node(int n) {
  if (n >= MAX_NODES)
    return bad("numa-node-id too large", n);
  if (n + 1 > machine.nnodes)
    machine.nnodes = n + 1;
  return 0;
}

// The harts the tree lists as usable (kernel/dt_machine.c), and the
// timebase the /cpus node gives for all of them.
static int read_harts(const struct fdt *fdt) {
  if (dt_timebase(fdt, &machine.timebase) < 0)
    return bad("no /cpus/timebase-frequency", 0);
  struct dt_hart h = {.node_off = -1};
  int more;
  while ((more = dt_next_hart(fdt, &h)) > 0) {
    if (h.id >= MAX_HARTS || machine.nharts == MAX_HARTS)
      return bad("hart id too large, or too many harts", (long)h.id);
    if (see_node(h.numa) < 0)
      return -1;
    machine.harts[machine.nharts].id = h.id;
    machine.harts[machine.nharts].node = h.numa;
    machine.nharts++;
  }
  if (more < 0)
    return bad(dt_strerror(more), h.node_off);
  if (machine.nharts == 0)
    return bad("no usable harts under /cpus", 0);
  return 0;
}

// RAM: every reg entry of every device_type "memory" node. QEMU gives one
// node per NUMA node, back to back from 0x80000000, so they join into one
// run; ram_base/ram_end is the run that holds the image.
static int read_memory(const struct fdt *fdt) {
  uint64_t image = (uint64_t)_entry;
  struct dt_walk w = DT_WALK_START;
  struct dt_range m;
  while (dt_next_memory(fdt, &w, &m)) {
    int node = m.numa;
    if (see_node(node) < 0)
      return -1;
    if (machine.node_base[node] == 0 || m.base < machine.node_base[node])
      machine.node_base[node] = m.base;
    if (m.base + m.size > machine.node_end[node])
      machine.node_end[node] = m.base + m.size;
    if (m.base <= image && image < m.base + m.size) {
      machine.ram_base = m.base;
      machine.ram_end = m.base + m.size;
    }
  }
  if (machine.ram_end == 0)
    return bad("no memory node holds the image", (long)image);
  // Grow the run over ranges that touch it, until none does.
  for (bool grew = true; grew;) {
    grew = false;
    for (int n = 0; n < machine.nnodes; n++) {
      if (machine.node_base[n] == machine.ram_end && machine.node_end[n]) {
        machine.ram_end = machine.node_end[n];
        grew = true;
      }
    }
  }
  return 0;
}

// Cut the heap [heap_base, heap_end) short at the first range above its
// start that someone else owns.
static void keep_out(uint64_t base, uint64_t size) {
  if (base + size > machine.heap_base && base < machine.heap_end)
    machine.heap_end = base > machine.heap_base ? base : machine.heap_base;
}

// The heap: from the end of the image to the end of the RAM run, short of
// anything the firmware reserved for itself. The device tree may lie
// inside (QEMU's fw_jump puts it at 0x82200000, fw_dynamic near the end of
// RAM): that is fine, because machine_read copies out all it needs before
// the first allocation, and nothing reads the tree again.
static void place_heap(const struct fdt *fdt) {
  machine.heap_base = ALIGN_UP((uint64_t)_image_end, PAGE_SIZE);
  machine.heap_end = ALIGN_DOWN(machine.ram_end, PAGE_SIZE);
  struct dt_walk w = DT_WALK_START;
  struct dt_range r;
  while (dt_next_reserved(fdt, &w, &r))
    keep_out(r.base, r.size);
  machine.heap_end = ALIGN_DOWN(machine.heap_end, PAGE_SIZE);
}

// /chosen/bootargs, copied out of the tree (the heap may later cover it).
static void read_bootargs(const struct fdt *fdt) {
  fdt_getprop_string(fdt, fdt_path(fdt, "/chosen"), "bootargs",
                     machine.bootargs, sizeof(machine.bootargs));
}

int machine_read(const void *dtb) {
  struct fdt fdt;
  // We cannot know how big the blob is before reading its header; 1 MiB
  // bounds it (QEMU's are a few KiB).
  int err = fdt_init(&fdt, dtb, 1 * MiB);
  if (err < 0)
    return bad(fdt_strerror(err), (long)dtb);
  if (read_harts(&fdt) < 0 || read_memory(&fdt) < 0)
    return -1;
  place_heap(&fdt);
  read_bootargs(&fdt);
  return 0;
}

int machine_node_of(uint64_t pa) {
  for (int n = 0; n < machine.nnodes; n++)
    if (machine.node_base[n] <= pa && pa < machine.node_end[n])
      return n;
  return -1;
}
