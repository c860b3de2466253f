// hyp/vm/vm_fdt.c: write a guest's device tree (see hyp/vm/vm_fdt.h).
//
// On a real machine the firmware describes the hardware to the kernel in a
// device tree; here the monitor is the firmware, so it writes one per VM,
// shaped like the tree QEMU writes for its `virt` machine (so a kernel
// built for QEMU reads it unchanged). It describes only what the VM has:
// its vCPUs (numbered 0..n-1, whatever harts they run on), its RAM, and
// the devices the monitor emulates for it. The tree is written with
// kernel/fdt_write.c into a buffer of the monitor's and copied into guest
// memory near the top of RAM, which a /memreserve/ entry marks as taken.
#include "hyp/boot/machine.h"
#include "hyp/vm/vm_fdt.h"
#include "kernel/fdt_write.h"
#include "kernel/printf.h"

// The ISA string each vCPU reports: what a guest kernel may use. Sstc
// only if the host has it (the guest's stimecmp is then its vstimecmp).
static const char *isa_string(void) {
  return machine.has_sstc ? "rv64imafdc_zicsr_zifencei_sstc"
                          : "rv64imafdc_zicsr_zifencei";
}

// The NUMA node of vCPU i of a spanning VM (as vm_create placed it).
static int vcpu_node(struct vm *vm, int i) {
  return i * machine.nnodes / vm->nvcpus;
}

// /cpus: one cpu@N per vCPU, each with the interrupt-controller child
// that the PLIC and the CLINT would point at (phandle 1 + N).
static void write_cpus(struct fdt_writer *w, struct vm *vm) {
  fdt_write_node_begin(w, "cpus");
  fdt_write_prop_u32(w, "#address-cells", 1);
  fdt_write_prop_u32(w, "#size-cells", 0);
  fdt_write_prop_u32(w, "timebase-frequency", (uint32_t)machine.timebase);
  for (int i = 0; i < vm->nvcpus; i++) {
    char name[16];
    snprintf(name, sizeof(name), "cpu@%d", i);
    fdt_write_node_begin(w, name);
    fdt_write_prop_string(w, "device_type", "cpu");
    fdt_write_prop_u32(w, "reg", (uint32_t)i);
    fdt_write_prop_string(w, "status", "okay");
    fdt_write_prop_string(w, "compatible", "riscv");
    fdt_write_prop_string(w, "riscv,isa", isa_string());
    fdt_write_prop_string(w, "mmu-type", "riscv,sv39");
    if (vm->pmap.span > 1)
      fdt_write_prop_u32(w, "numa-node-id", (uint32_t)vcpu_node(vm, i));
    fdt_write_node_begin(w, "interrupt-controller");
    fdt_write_prop_u32(w, "#interrupt-cells", 1);
    fdt_write_prop_u32(w, "#address-cells", 0);
    fdt_write_prop_empty(w, "interrupt-controller");
    fdt_write_prop_string(w, "compatible", "riscv,cpu-intc");
    fdt_write_prop_u32(w, "phandle", (uint32_t)(1 + i));
    fdt_write_node_end(w);
    fdt_write_node_end(w);
  }
  fdt_write_node_end(w);
}

// The phandle of the PLIC node (the cpus' interrupt controllers take
// 1..nvcpus).
#define PLIC_PHANDLE 0x100

// /soc: the devices the monitor emulates, as QEMU's virt lists them: the
// PLIC, wired to every vCPU's M and S external interrupts (causes 11 and
// 9, so context 2i is vCPU i's M mode and 2i+1 its S mode), the UART,
// and the virtio disk if the VM has one.
static void write_soc(struct fdt_writer *w, struct vm *vm) {
  fdt_write_node_begin(w, "soc");
  fdt_write_prop_u32(w, "#address-cells", 2);
  fdt_write_prop_u32(w, "#size-cells", 2);
  fdt_write_prop_string(w, "compatible", "simple-bus");
  fdt_write_prop_empty(w, "ranges");

  char name[32];
  snprintf(name, sizeof(name), "plic@%lx", VPLIC_GPA_BASE);
  fdt_write_node_begin(w, name);
  const char *compat[] = {"sifive,plic-1.0.0", "riscv,plic0"};
  fdt_write_prop_strings(w, "compatible", compat, 2);
  uint32_t reg[4] = {0, (uint32_t)VPLIC_GPA_BASE, 0, (uint32_t)VPLIC_GPA_SIZE};
  fdt_write_prop_cells(w, "reg", reg, 4);
  fdt_write_prop_u32(w, "#address-cells", 0);
  fdt_write_prop_u32(w, "#interrupt-cells", 1);
  fdt_write_prop_empty(w, "interrupt-controller");
  fdt_write_prop_u32(w, "riscv,ndev", VPLIC_NSOURCES - 1);
  uint32_t ext[4 * MAX_VCPUS];
  for (int i = 0; i < vm->nvcpus; i++) {
    ext[4 * i + 0] = (uint32_t)(1 + i);
    ext[4 * i + 1] = 11;                       // M external interrupt
    ext[4 * i + 2] = (uint32_t)(1 + i);
    ext[4 * i + 3] = 9;                        // S external interrupt
  }
  fdt_write_prop_cells(w, "interrupts-extended", ext, 4 * vm->nvcpus);
  fdt_write_prop_u32(w, "phandle", PLIC_PHANDLE);
  fdt_write_node_end(w);

  snprintf(name, sizeof(name), "serial@%lx", VUART_GPA_BASE);
  fdt_write_node_begin(w, name);
  fdt_write_prop_string(w, "compatible", "ns16550a");
  uint32_t ureg[4] = {0, (uint32_t)VUART_GPA_BASE, 0, (uint32_t)VUART_GPA_SIZE};
  fdt_write_prop_cells(w, "reg", ureg, 4);
  fdt_write_prop_u32(w, "clock-frequency", 3686400);
  fdt_write_prop_u32(w, "interrupts", VUART_IRQ);
  fdt_write_prop_u32(w, "interrupt-parent", PLIC_PHANDLE);
  fdt_write_node_end(w);

  // The virtio disk, if the VM has one, named and described as QEMU
  // describes its virtio-mmio slots (virtio 1.2, 4.2.1 "MMIO Device
  // Discovery").
  if (vm->blk.present) {
    snprintf(name, sizeof(name), "virtio_mmio@%lx", VVIRTIO_GPA_BASE);
    fdt_write_node_begin(w, name);
    fdt_write_prop_string(w, "compatible", "virtio,mmio");
    uint32_t vreg[4] = {0, (uint32_t)VVIRTIO_GPA_BASE, 0,
                        (uint32_t)VVIRTIO_GPA_SIZE};
    fdt_write_prop_cells(w, "reg", vreg, 4);
    fdt_write_prop_u32(w, "interrupts", VVIRTIO_BLK_IRQ);
    fdt_write_prop_u32(w, "interrupt-parent", PLIC_PHANDLE);
    fdt_write_node_end(w);
  }

  fdt_write_node_end(w);
}

// /memory: one node for the VM's RAM, or for a spanning VM one per NUMA
// node, each with its numa-node-id, and the /distance-map of the machine
// (Linux Documentation/devicetree/bindings/numa.txt), so that a NUMA-aware
// guest can place its own data, as a guest on the bare machine would.
static void write_memory(struct fdt_writer *w, struct vm *vm) {
  struct pmap *pm = &vm->pmap;
  int n = pm->span > 1 ? pm->span : 1;
  uint64_t chunk = pm->ram_size / (uint64_t)n;
  for (int k = 0; k < n; k++) {
    uint64_t base = pm->ram_base + (uint64_t)k * chunk;
    char name[32];
    snprintf(name, sizeof(name), "memory@%lx", base);
    fdt_write_node_begin(w, name);
    fdt_write_prop_string(w, "device_type", "memory");
    uint32_t reg[4] = {(uint32_t)(base >> 32), (uint32_t)base,
                       (uint32_t)(chunk >> 32), (uint32_t)chunk};
    fdt_write_prop_cells(w, "reg", reg, 4);
    if (n > 1)
      fdt_write_prop_u32(w, "numa-node-id", (uint32_t)k);
    fdt_write_node_end(w);
  }
  if (n == 1)
    return;
  uint32_t dist[3 * MAX_NODES * MAX_NODES];
  int m = 0;
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++) {
      dist[m++] = (uint32_t)a;
      dist[m++] = (uint32_t)b;
      dist[m++] = machine.dist[a][b];
    }
  fdt_write_node_begin(w, "distance-map");
  fdt_write_prop_string(w, "compatible", "numa-distance-map-v1");
  fdt_write_prop_cells(w, "distance-matrix", dist, m);
  fdt_write_node_end(w);
}

// One buffer for every VM's device tree (64 KiB is too much for a hart's
// stack): VMs are created on any hart (a reboot runs on the hart that saw
// the VM stop), so fdt_lock lets one build at a time.
static uint8_t buf[GUEST_FDT_SIZE];
static struct fdt_writer w;
static struct spinlock fdt_lock = SPINLOCK_INIT("vm fdt");

// Write the VM's device tree into buf and copy it into the VM. Caller
// holds fdt_lock.
static int build(struct vm *vm, const struct vm_config *cfg) {
  fdt_write_begin(&w, buf, sizeof(buf));
  fdt_write_memreserve(&w, vm->fdt_gpa, GUEST_FDT_SIZE);
  fdt_write_node_begin(&w, "");
  fdt_write_prop_u32(&w, "#address-cells", 2);
  fdt_write_prop_u32(&w, "#size-cells", 2);
  fdt_write_prop_string(&w, "compatible", "riscv-virtio");
  fdt_write_prop_string(&w, "model", "disco-v,vm");

  fdt_write_node_begin(&w, "chosen");
  fdt_write_prop_string(&w, "bootargs", cfg->bootargs);
  char stdout_path[32];
  snprintf(stdout_path, sizeof(stdout_path), "/soc/serial@%lx", VUART_GPA_BASE);
  fdt_write_prop_string(&w, "stdout-path", stdout_path);
  if (vm->initrd_size > 0) {
    // Where its initrd is, as Linux reads it (chosen.yaml in the
    // devicetree bindings): the first byte and the byte after the last.
    fdt_write_prop_u64(&w, "linux,initrd-start", vm->initrd_gpa);
    fdt_write_prop_u64(&w, "linux,initrd-end", vm->initrd_gpa + vm->initrd_size);
  }
  fdt_write_node_end(&w);

  write_cpus(&w, vm);

  write_memory(&w, vm);

  write_soc(&w, vm);
  fdt_write_node_end(&w);                  // the root
  int size = fdt_write_finish(&w);
  if (size < 0)
    return -1;
  return vm_copy_to_guest(vm, vm->fdt_gpa, buf, (uint64_t)size);
}

int vm_fdt_build(struct vm *vm, const struct vm_config *cfg) {
  acquire(&fdt_lock);
  int r = build(vm, cfg);
  release(&fdt_lock);
  return r;
}
