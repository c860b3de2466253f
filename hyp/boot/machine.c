// hyp/boot/machine.c: read the machine from the device tree (see hyp/boot/machine.h).
//
// What we look for, and where the Devicetree Specification v0.4 defines it:
//   /cpus/cpu@N           harts: reg = hart id, riscv,isa   (spec 3.7, 3.8)
//   /memory@...           RAM ranges: device_type = "memory" (spec 3.4)
//   /reserved-memory/*    ranges firmware keeps for itself   (spec 3.5)
//   /memreserve/ entries  ditto, in the blob's header block  (spec 5.3)
//   numa-node-id          on cpus, memory, PLIC and CLINT    (Linux numa.txt)
//   /distance-map         the NUMA distance matrix           (Linux numa.txt)
//   compatible strings    "ns16550a", "riscv,plic0", "riscv,clint0",
//                         "virtio,mmio"                      (spec 2.3.1)
#include "hyp/boot/machine.h"
#include "kernel/dt_machine.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct machine machine;

// The monitor image's first and last+1 addresses: it starts with _entry
// (hyp/hyp.ld puts hyp/boot/entry.S first) and ends at _image_end.
extern char _entry[], _image_end[];

// A complaint about the tree: print it, return an error code.
#define BAD_TREE (-100)
static int bad(const char *what, long value) {
  printf("machine: bad device tree: %s (value %ld)\n", what, value);
  return BAD_TREE;
}

// A number in the tree above one of the monitor's limits (hyp/param.h).
static int too_large(const char *what, long value, long limit) {
  printf("machine: bad device tree: %s %ld is too large (the monitor's "
         "limit, hyp/param.h: below %ld)\n", what, value, limit);
  return BAD_TREE;
}

// Note that node n exists, so nnodes = highest node id + 1.
static int see_node(int n) {
  if (n >= MAX_NODES)
    return too_large("numa-node-id", n, MAX_NODES);
  if (n + 1 > machine.nnodes)
    machine.nnodes = n + 1;
  return 0;
}

void machine_reserve(uint64_t base, uint64_t size, const char *what) {
  // Losing a reservation would let the allocator hand out firmware
  // memory; better to stop here and say so.
  if (machine.nreserved == MAX_RESERVED)
    panic("machine_reserve: more than %d reserved ranges", MAX_RESERVED);
  struct range *r = &machine.reserved[machine.nreserved++];
  r->base = base;
  r->size = size;
  r->node = -1;
  r->what = what;
}

// The harts: every hart the tree lists as usable (kernel/dt_machine.c).
static int read_harts(const struct fdt *fdt) {
  dt_timebase(fdt, &machine.timebase);
  machine.has_h = true;
  machine.has_sstc = true;
  struct dt_hart h = {.node_off = -1};
  int more;
  while ((more = dt_next_hart(fdt, &h)) > 0) {
    if (h.id >= MAX_HARTS)
      return too_large("hart id", (long)h.id, MAX_HARTS);
    if (machine.nharts == MAX_HARTS)
      return bad("too many harts", machine.nharts);
    if (see_node(h.numa) < 0)
      return BAD_TREE;
    machine.harts[machine.nharts].id = h.id;
    machine.harts[machine.nharts].node = h.numa;
    machine.hart_node[h.id] = h.numa;
    machine.nharts++;

    // The monitor needs the H-extension on every hart it will run guests
    // on; Sstc only if every hart has it.
    machine.has_h &= dt_isa_has_letter(h.isa, h.isa_len, 'h');
    machine.has_sstc &= dt_isa_has_ext(h.isa, h.isa_len, "sstc");
  }
  if (more < 0)
    return bad(dt_strerror(more), h.node_off);
  if (machine.nharts == 0)
    return bad("no usable harts under /cpus", 0);
  return 0;
}

// RAM: every reg entry of every device_type "memory" node.
static int read_memory(const struct fdt *fdt) {
  struct dt_walk w = DT_WALK_START;
  struct dt_range m;
  while (dt_next_memory(fdt, &w, &m)) {
    if (see_node(m.numa) < 0)
      return BAD_TREE;
    if (m.size == 0)
      continue;
    if (machine.nmem == MAX_MEMRANGES)
      return bad("too many memory ranges", machine.nmem);
    // The allocator works in whole pages: drop partial pages at the ends.
    uint64_t lo = ALIGN_UP(m.base, PAGE_SIZE);
    uint64_t hi = ALIGN_DOWN(m.base + m.size, PAGE_SIZE);
    if (hi <= lo)
      continue;
    struct range *r = &machine.mem[machine.nmem++];
    r->base = lo;
    r->size = hi - lo;
    r->node = m.numa;
    machine.node_mem[m.numa] += r->size;
    machine.total_mem += r->size;
  }
  if (machine.nmem == 0)
    return bad("no memory nodes", 0);
  return 0;
}

// Everything firmware keeps: /memreserve/ entries and the children of
// /reserved-memory (OpenSBI lists its own M-mode memory there).
static void read_reserved(const struct fdt *fdt) {
  struct dt_walk w = DT_WALK_START;
  struct dt_range r;
  while (dt_next_reserved(fdt, &w, &r))
    machine_reserve(r.base, r.size, w.phase == DT_RESERVED_HEADER
                                        ? "firmware (/memreserve/)"
                                        : "firmware (/reserved-memory)");
}

// The distance matrix: 10 on the diagonal and 20 elsewhere by default
// (for a tree without /distance-map numa.txt says only that "a default
// distance-matrix is used"; Linux's is LOCAL_DISTANCE 10, REMOTE_DISTANCE
// 20), then what /distance-map says.
static int read_distances(const struct fdt *fdt) {
  uint32_t d[MAX_NODES * MAX_NODES];
  for (int a = 0; a < MAX_NODES; a++)
    for (int b = 0; b < MAX_NODES; b++)
      d[a * MAX_NODES + b] = a == b ? 10 : 20;
  int err = fdt_distance_map(fdt, d, MAX_NODES);
  if (err < 0 && err != FDT_ERR_NOTFOUND)
    return bad("unreadable /distance-map", err);
  for (int a = 0; a < MAX_NODES; a++)
    for (int b = 0; b < MAX_NODES; b++)
      machine.dist[a][b] = d[a * MAX_NODES + b];
  return 0;
}

// Read the first reg entry of `off` into r, with the node's NUMA node.
static int read_range(const struct fdt *fdt, int off, struct range *r) {
  uint64_t size;
  if (fdt_reg(fdt, off, 0, &r->base, &size) != 0)
    return -1;
  r->size = size;
  r->node = dt_node_of(fdt, off);
  return 0;
}

// A number that is one or two cells long (initrd addresses come either
// way). Returns 0, or -1 if absent or another length.
static int read_cells(const struct fdt *fdt, int node, const char *name,
                      uint64_t *out) {
  const uint8_t *p;
  int len;
  if (fdt_getprop(fdt, node, name, (const void **)&p, &len) < 0 ||
      (len != 4 && len != 8))
    return -1;
  *out = 0;
  for (int i = 0; i < len; i++)
    *out = *out << 8 | p[i];
  return 0;
}

// /chosen: where QEMU put the -initrd file (our VM bundle), if anywhere.
static void read_initrd(const struct fdt *fdt) {
  int chosen = fdt_path(fdt, "/chosen");
  uint64_t start, end;
  if (chosen < 0 || read_cells(fdt, chosen, "linux,initrd-start", &start) < 0 ||
      read_cells(fdt, chosen, "linux,initrd-end", &end) < 0 || end <= start)
    return;
  machine.initrd.base = start;
  machine.initrd.size = end - start;
  machine_reserve(start, end - start, "VM bundle (initrd)");
}

// The first cell of the node's "interrupts" property (an interrupt
// number; APLICs add a second cell for the trigger type), or 0.
static uint32_t first_irq(const struct fdt *fdt, int off) {
  const uint8_t *p;
  int len;
  if (fdt_getprop(fdt, off, "interrupts", (const void **)&p, &len) < 0 ||
      len < 4)
    return 0;
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

// The interrupt controllers, one per node: PLICs ("riscv,plic0"), or else
// APLIC domains ("riscv,aplic"). An APLIC comes as a machine-level domain
// that delegates its sources to a supervisor-level child domain (AIA spec,
// chapter 4): we want the child, the one without "riscv,children".
static void read_irqchips(const struct fdt *fdt) {
  int n;
  for (n = fdt_find_compatible(fdt, -1, "riscv,plic0"); n >= 0;
       n = fdt_find_compatible(fdt, n, "riscv,plic0"))
    if (machine.nirqchip < MAX_NODES &&
        read_range(fdt, n, &machine.irqchip[machine.nirqchip]) == 0)
      machine.nirqchip++;
  if (machine.nirqchip > 0) {
    machine.irqchip_kind = "plic";
    return;
  }
  for (n = fdt_find_compatible(fdt, -1, "riscv,aplic"); n >= 0;
       n = fdt_find_compatible(fdt, n, "riscv,aplic")) {
    const void *v;
    int len;
    if (fdt_getprop(fdt, n, "riscv,children", &v, &len) == 0)
      continue;                       // the M-level domain
    if (machine.nirqchip < MAX_NODES &&
        read_range(fdt, n, &machine.irqchip[machine.nirqchip]) == 0)
      machine.nirqchip++;
  }
  machine.irqchip_kind = machine.nirqchip > 0 ? "aplic" : "none";
}

// The devices: UART, interrupt controllers, one CLINT per node, and the
// virtio-mmio slots.
static void read_devices(const struct fdt *fdt) {
  int n = fdt_find_compatible(fdt, -1, "ns16550a");
  if (n >= 0)
    read_range(fdt, n, &machine.uart);

  read_irqchips(fdt);

  for (n = fdt_find_compatible(fdt, -1, "riscv,clint0"); n >= 0;
       n = fdt_find_compatible(fdt, n, "riscv,clint0"))
    if (machine.nclint < MAX_NODES &&
        read_range(fdt, n, &machine.clint[machine.nclint]) == 0)
      machine.nclint++;

  // QEMU lists the virtio-mmio slots from the highest address down; we
  // keep them in address order (slot 0 = lowest address), the order a
  // guest's /dev names would follow.
  for (n = fdt_find_compatible(fdt, -1, "virtio,mmio"); n >= 0;
       n = fdt_find_compatible(fdt, n, "virtio,mmio")) {
    if (machine.nvirtio == MAX_VIRTIO)
      break;
    struct range r;
    if (read_range(fdt, n, &r) != 0)
      continue;
    uint32_t irq = first_irq(fdt, n);
    int i = machine.nvirtio++;
    while (i > 0 && machine.virtio[i - 1].reg.base > r.base) {
      machine.virtio[i] = machine.virtio[i - 1];   // insertion sort
      i--;
    }
    machine.virtio[i].reg = r;
    machine.virtio[i].irq = irq;
  }
}

int machine_read(const void *dtb, uint64_t boot_hart) {
  struct fdt fdt;
  memset(&machine, 0, sizeof(machine));
  for (int h = 0; h < MAX_HARTS; h++)
    machine.hart_node[h] = -1;
  machine.boot_hart = boot_hart;
  machine.nnodes = 1;

  // We cannot know how big the blob is before reading its header, so let
  // fdt_init trust a totalsize of up to 1 MiB (QEMU's trees are ~8 KiB).
  int err = fdt_init(&fdt, dtb, 1 * MiB);
  if (err < 0) {
    printf("machine: device tree at %p: %s\n", dtb, fdt_strerror(err));
    return err;
  }
  if ((err = read_harts(&fdt)) < 0 || (err = read_memory(&fdt)) < 0 ||
      (err = read_distances(&fdt)) < 0)
    return err;
  read_reserved(&fdt);
  read_devices(&fdt);
  read_initrd(&fdt);

  // Memory nobody else told us about but that is taken all the same:
  //  - the device tree itself (nothing reads it after machine_read; it
  //    is left as the firmware handed it over);
  //  - the monitor image;
  //  - everything below the image in its RAM range. OpenSBI lists the part
  //    it protects in /reserved-memory, but the payload convention is that
  //    memory below the payload address belongs to the firmware, and 2 MiB
  //    is a small price for not having to trust that list alone.
  machine_reserve((uint64_t)dtb, fdt.size, "device tree");
  uint64_t img = (uint64_t)_entry;
  machine_reserve(img, (uint64_t)_image_end - img, "monitor image");
  for (int i = 0; i < machine.nmem; i++) {
    struct range *r = &machine.mem[i];
    if (img > r->base && img < r->base + r->size)
      machine_reserve(r->base, img - r->base, "firmware (below the monitor)");
  }
  if (machine.hart_node[boot_hart] < 0)
    return bad("the boot hart is not in /cpus", (long)boot_hart);
  return 0;
}

// Write "<n>MiB" (or "<n>KiB" for sizes that are not whole MiB) into buf.
static const char *size_str(uint64_t bytes, char *buf, size_t len) {
  if (bytes % MiB == 0)
    snprintf(buf, len, "%luMiB", bytes / MiB);
  else
    snprintf(buf, len, "%luKiB", bytes / KiB);
  return buf;
}

void machine_print(void) {
  printf("Machine (from the device tree):\n");
  printf("  boot hart %lu, timebase %lu Hz, H-extension %s, Sstc %s\n",
         machine.boot_hart, machine.timebase, machine.has_h ? "yes" : "no",
         machine.has_sstc ? "yes" : "no");

  // One line per node: its harts and its memory. The tests parse these:
  //   node 0: harts=0,1 mem=256MiB
  for (int n = 0; n < machine.nnodes; n++) {
    printf("  node %d: harts=", n);
    int shown = 0;
    for (int i = 0; i < machine.nharts; i++) {
      if (machine.harts[i].node != n)
        continue;
      printf("%s%lu", shown++ ? "," : "", machine.harts[i].id);
    }
    if (shown == 0)
      printf("none");
    char sz[24];
    printf(" mem=%s\n", size_str(machine.node_mem[n], sz, sizeof(sz)));
  }

  printf("  memory ranges:\n");
  for (int i = 0; i < machine.nmem; i++)
    printf("    %p-%p node %d\n", (void *)machine.mem[i].base,
           (void *)(machine.mem[i].base + machine.mem[i].size - 1),
           machine.mem[i].node);
  printf("  reserved ranges:\n");
  for (int i = 0; i < machine.nreserved; i++)
    printf("    %p-%p %s\n", (void *)machine.reserved[i].base,
           (void *)(machine.reserved[i].base + machine.reserved[i].size - 1),
           machine.reserved[i].what);

  // The distance matrix, rows = from, columns = to.
  printf("  distance:");
  for (int b = 0; b < machine.nnodes; b++)
    printf("  n%d", b);
  printf("\n");
  for (int a = 0; a < machine.nnodes; a++) {
    printf("  dist n%d: ", a);
    for (int b = 0; b < machine.nnodes; b++)
      printf(" %3u", machine.dist[a][b]);
    printf("\n");
  }

  printf("  uart   %p\n", (void *)machine.uart.base);
  for (int i = 0; i < machine.nirqchip; i++)
    printf("  %-6s %p node %d\n", machine.irqchip_kind,
           (void *)machine.irqchip[i].base, machine.irqchip[i].node);
  for (int i = 0; i < machine.nclint; i++)
    printf("  clint  %p node %d\n", (void *)machine.clint[i].base,
           machine.clint[i].node);
  for (int i = 0; i < machine.nvirtio; i++)
    printf("  virtio %p irq %u\n", (void *)machine.virtio[i].reg.base,
           machine.virtio[i].irq);

  char sz[24];
  printf("machine: nodes=%d harts=%d mem=%s\n", machine.nnodes, machine.nharts,
         size_str(machine.total_mem, sz, sizeof(sz)));
}
