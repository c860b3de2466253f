// guest-os/machine.c: read the machine from the device tree (see
// guest-os/machine.h).
//
// What we read, and where the Devicetree Specification v0.4 defines it:
//   /cpus/timebase-frequency      rdtime ticks per second     (spec 3.7)
//   /cpus/cpu@N: reg, status      one hart each                (spec 3.8)
//     riscv,isa                   its extensions (Linux's bindings/riscv/
//                                 cpus.yaml): we look for "sstc"
//   device_type = "memory": reg   RAM                          (spec 3.4)
//   /memreserve/, /reserved-memory  RAM that is firmware's  (5.3, 3.5)
//   compatible "ns16550a"         the UART: reg, interrupts,
//                                 interrupt-parent             (spec 2.4)
//   compatible "virtio,mmio"      a virtio slot: reg, interrupts,
//                                 interrupt-parent (virtio 1.2, 4.2.1)
//   compatible "riscv,plic0"      a PLIC: reg and interrupts-extended,
//                                 which says which context is which hart's
//                                 (Linux's bindings/interrupt-controller/
//                                 sifive,plic-1.0.0.yaml)
//   /chosen/bootargs              the boot arguments           (spec 3.6)
#include "guest-os/machine.h"
#include "kernel/dt_machine.h"
#include "kernel/fdt.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct machine machine;

extern char _entry[], _image_end[];

// The cause number of the S-mode external interrupt (privileged spec,
// table 4.2): a PLIC context wired to it is a hart's S-mode context.
#define CAUSE_S_EXTERNAL 9

// Say what is wrong with the tree; return -1 for the caller to pass on.
static int bad(const char *what, long value) {
  printf("guest-os: bad device tree: %s (value %ld)\n", what, value);
  return -1;
}

// The node whose "phandle" property is ph, or a negative FDT_ERR_ code.
static int node_by_phandle(const struct fdt *fdt, uint32_t ph) {
  // A linear walk of the whole tree: a few hundred nodes, at boot only.
  int depth = 0;
  for (int n = fdt_root(fdt); n >= 0; n = fdt_next_node(fdt, n, &depth)) {
    uint32_t v;
    if (fdt_getprop_u32(fdt, n, "phandle", &v) == 0 && v == ph)
      return n;
  }
  return FDT_ERR_NOTFOUND;
}

// Big-endian cell i of a property value.
static uint32_t cell(const void *val, int i) {
  const uint8_t *p = (const uint8_t *)val + 4 * i;
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// The harts the tree lists as usable (kernel/dt_machine.c). Sstc counts
// only if every one of them has it.
static int read_harts(const struct fdt *fdt) {
  if (dt_timebase(fdt, &machine.timebase) < 0)
    return bad("no /cpus/timebase-frequency", 0);
  machine.sstc = true;
  struct dt_hart h = {.node_off = -1};
  int more;
  while ((more = dt_next_hart(fdt, &h)) > 0) {
    if (h.id >= MAX_HARTS) {
      // No stack or state for it: leave it stopped, but say so.
      printf("guest-os: hart %lu is beyond MAX_HARTS (%d); not used\n",
             h.id, MAX_HARTS);
      continue;
    }
    machine.hart_ids[machine.nharts++] = (uint32_t)h.id;
    // A process may move between harts, and each hart writes its own
    // stimecmp: Sstc is usable only if no hart lacks it.
    if (!dt_isa_has_ext(h.isa, h.isa_len, "sstc"))
      machine.sstc = false;
  }
  if (more < 0)
    return bad(dt_strerror(more), h.node_off);
  if (machine.nharts == 0)
    return bad("no usable hart under /cpus", 0);
  return 0;
}

// RAM: every reg entry of every device_type "memory" node.
static int read_memory(const struct fdt *fdt) {
  struct dt_walk w = DT_WALK_START;
  struct dt_range m;
  while (dt_next_memory(fdt, &w, &m)) {
    if (machine.nram == MAX_MEMRANGES)
      return bad("too many memory ranges", MAX_MEMRANGES);
    machine.ram[machine.nram].base = m.base;
    machine.ram[machine.nram].end = m.base + m.size;
    machine.nram++;
  }
  if (machine.nram == 0)
    return bad("no memory node", 0);
  return 0;
}

// Note [base, base + size) as not ours to allocate.
static void reserve(uint64_t base, uint64_t size) {
  if (size == 0)
    return;
  if (machine.nreserved == MAX_RESERVED) {
    printf("guest-os: too many reserved ranges; ignoring %p\n", (void *)base);
    return;
  }
  machine.reserved[machine.nreserved].base = base;
  machine.reserved[machine.nreserved].end = base + size;
  machine.nreserved++;
}

// What is not free RAM: what the firmware reserved (both ways a tree can
// say so), the tree itself, and the memory from the start of the image's
// RAM range to the end of the image. Below the image is the firmware on
// the bare machine (OpenSBI); in a VM it is nothing, but we cannot tell
// the two apart (and must not try), so we leave it alone either way.
static int read_reserved(const struct fdt *fdt, const void *dtb) {
  struct dt_walk w = DT_WALK_START;
  struct dt_range r;
  while (dt_next_reserved(fdt, &w, &r))
    reserve(r.base, r.size);
  reserve((uint64_t)dtb, fdt->size);

  uint64_t image = (uint64_t)_entry;
  for (int i = 0; i < machine.nram; i++) {
    if (machine.ram[i].base <= image && image < machine.ram[i].end) {
      reserve(machine.ram[i].base, (uint64_t)_image_end - machine.ram[i].base);
      return 0;
    }
  }
  return bad("no memory range holds the kernel image", (long)image);
}

// Fill in one PLIC from its node: registers, and for each entry of
// interrupts-extended (entry i is context i) whether it is some hart's
// S-mode external interrupt. Each entry is a phandle (a hart's
// "riscv,cpu-intc" node, a child of its cpu node) followed by that
// controller's #interrupt-cells cells (1 for cpu-intc: the cause).
static int read_plic(const struct fdt *fdt, int node, struct plic_info *p) {
  for (int h = 0; h < MAX_HARTS; h++)
    p->sctx[h] = -1;
  if (fdt_getprop_u32(fdt, node, "phandle", &p->phandle) < 0 ||
      fdt_reg(fdt, node, 0, &p->base, &p->size) != 0)
    return bad("PLIC without phandle or reg", node);
  const void *ext;
  int len;
  if (fdt_getprop(fdt, node, "interrupts-extended", &ext, &len) < 0)
    return bad("PLIC without interrupts-extended", node);
  // The entries are not fixed-size in general: each one's length depends
  // on the controller it names, so walk them cell by cell.
  int ncells = len / 4;
  for (int i = 0, ctx = 0; i < ncells; ctx++) {
    int intc = node_by_phandle(fdt, cell(ext, i));
    uint32_t icells = 1;
    if (intc < 0)
      return bad("PLIC context names no interrupt controller", ctx);
    fdt_getprop_u32(fdt, intc, "#interrupt-cells", &icells);
    if (icells < 1 || i + 1 + (int)icells > ncells)
      return bad("PLIC interrupts-extended is malformed", ctx);
    // Cause 11 (M external) entries are the firmware's; we want 9.
    uint64_t hart, unused;
    int cpu = fdt_parent(fdt, intc);
    if (cell(ext, i + 1) == CAUSE_S_EXTERNAL && cpu >= 0 &&
        fdt_reg(fdt, cpu, 0, &hart, &unused) == 0 && hart < MAX_HARTS)
      p->sctx[hart] = ctx;
    i += 1 + (int)icells;
  }
  return 0;
}

// Every PLIC in the tree. None is no error: a machine with AIA's APLIC
// instead (QEMU's aia=aplic) still works, with the console polled.
static int read_plics(const struct fdt *fdt) {
  for (int n = fdt_find_compatible(fdt, -1, "riscv,plic0"); n >= 0;
       n = fdt_find_compatible(fdt, n, "riscv,plic0")) {
    if (machine.nplics == MAX_PLICS)
      return bad("too many PLICs", MAX_PLICS);
    if (read_plic(fdt, n, &machine.plics[machine.nplics]) < 0)
      return -1;
    machine.nplics++;
  }
  return 0;
}

// Which PLIC (an index into machine.plics) node n's interrupt goes to:
// the one its interrupt-parent names, if that is a PLIC; else -1 (no
// interrupt property, or another controller such as AIA's APLIC). The
// source number is its "interrupts" property, into *irq.
static int plic_of(const struct fdt *fdt, int n, uint32_t *irq) {
  uint32_t parent;
  if (fdt_getprop_u32(fdt, n, "interrupts", irq) < 0 ||
      fdt_getprop_u32(fdt, n, "interrupt-parent", &parent) < 0)
    return -1;
  for (int i = 0; i < machine.nplics; i++)
    if (machine.plics[i].phandle == parent)
      return i;
  return -1;
}

// The UART, and which PLIC (if any) its interrupt line goes to.
static int read_uart(const struct fdt *fdt) {
  int n = fdt_find_compatible(fdt, -1, "ns16550a");
  if (n < 0)
    n = fdt_find_compatible(fdt, -1, "ns16550");
  uint64_t size;
  if (n < 0 || fdt_reg(fdt, n, 0, &machine.uart_base, &size) != 0)
    return bad("no ns16550a UART", n);
  // reg-shift is optional (absent: registers are 1 byte apart, as on
  // QEMU virt); so is an interrupt, and without one we poll.
  uint32_t shift = 0;
  fdt_getprop_u32(fdt, n, "reg-shift", &shift);
  machine.uart_shift = (int)shift;
  // The UART's interrupt goes to one PLIC only (on a NUMA machine, node
  // 0's): the harts of other nodes never see it, which is fine, since
  // any hart may take it.
  machine.uart_plic = plic_of(fdt, n, &machine.uart_irq);
  return 0;
}

// The virtio-mmio slots, in the tree's order. Which one holds the disk is
// the driver's question (guest-os/virtio_blk.c); on a 2-node QEMU virt
// the slots' interrupts go to node 1's PLIC, which plic_of finds.
static int read_virtio(const struct fdt *fdt) {
  for (int n = fdt_find_compatible(fdt, -1, "virtio,mmio"); n >= 0;
       n = fdt_find_compatible(fdt, n, "virtio,mmio")) {
    if (machine.nvirtio == MAX_VIRTIO) {
      printf("guest-os: more than %d virtio slots; ignoring the rest\n",
             MAX_VIRTIO);
      return 0;
    }
    struct virtio_slot *v = &machine.virtio[machine.nvirtio];
    if (fdt_reg(fdt, n, 0, &v->base, &v->size) != 0)
      return bad("virtio,mmio node without reg", n);
    v->plic = plic_of(fdt, n, &v->irq);
    machine.nvirtio++;
  }
  return 0;
}

// /chosen/bootargs, copied out of the tree.
static void read_bootargs(const struct fdt *fdt) {
  fdt_getprop_string(fdt, fdt_path(fdt, "/chosen"), "bootargs",
                     machine.bootargs, sizeof(machine.bootargs));
}

int machine_read(const void *dtb) {
  struct fdt fdt;
  // The size is unknown until the header is read; 1 MiB bounds it (the
  // trees QEMU and the monitor write are a few KiB).
  int err = fdt_init(&fdt, dtb, 1 * MiB);
  if (err < 0)
    return bad(fdt_strerror(err), (long)dtb);
  if (read_harts(&fdt) < 0 || read_memory(&fdt) < 0 ||
      read_reserved(&fdt, dtb) < 0 || read_plics(&fdt) < 0 ||
      read_uart(&fdt) < 0 || read_virtio(&fdt) < 0)
    return -1;
  read_bootargs(&fdt);
  return 0;
}

bool machine_reserved(uint64_t pa) {
  for (int i = 0; i < machine.nreserved; i++)
    if (machine.reserved[i].base <= pa && pa < machine.reserved[i].end)
      return true;
  return false;
}

long machine_bootarg_num(const char *key, long dflt) {
  size_t n = strlen(key);
  const char *args = machine.bootargs;
  // A word starts the string or follows a space; its value runs to the
  // next space. Only plain decimal numbers count.
  for (const char *s = args; *s; s++) {
    if ((s != args && s[-1] != ' ') || strncmp(s, key, n) != 0 || s[n] != '=')
      continue;
    const char *d = s + n + 1;
    long v = 0;
    if (*d < '0' || *d > '9')
      return dflt;
    for (; *d >= '0' && *d <= '9'; d++)
      v = v * 10 + (*d - '0');
    return (*d == 0 || *d == ' ') ? v : dflt;
  }
  return dflt;
}
