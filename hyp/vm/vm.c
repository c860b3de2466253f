// hyp/vm/vm.c: creating, running out and reporting virtual machines
// (see hyp/vm/vm.h).
#include <stdarg.h>
#include "hyp/vm/bundle.h"
#include "hyp/vm/loader.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/cpu/sched.h"
#include "hyp/dev/vconsole.h"
#include "hyp/vm/vm.h"
#include "hyp/vm/vm_fdt.h"
#include "hyp/sbi/vsbi.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/string.h"

struct vm vms[MAX_VMS];
int vms_rebooting;

// The configuration each VM was made from, to make it again on reboot.
static struct vm_config configs[MAX_VMS];

// Complain about a VM that cannot be created; always returns NULL.
static struct vm *refuse(const struct vm_config *cfg, const char *why,
                         uint64_t value) {
  printf("vm %s: not started: %s (%lu)\n", cfg->name, why, value);
  return NULL;
}

// Free pages on all nodes.
static uint64_t free_pages(void) {
  uint64_t n = 0;
  for (int i = 0; i < machine.nnodes; i++)
    n += memmap_stats(i).free;
  return n;
}

// The hart for vCPU i of the VM in slot `slot`: one of the harts of the
// home node, spread so that VMs sharing a node do not pile onto one hart.
static int pick_hart(int node, int slot, int i) {
  int ids[MAX_HARTS], n = 0;
  for (int k = 0; k < machine.nharts; k++)
    if (machine.harts[k].node == node)
      ids[n++] = (int)machine.harts[k].id;
  if (n == 0)                   // a node without harts: any hart will do
    return (int)machine.harts[(slot + i) % machine.nharts].id;
  return ids[(slot + i) % n];
}

struct vm *vm_create(const struct vm_config *cfg) {
  // Check the configuration before taking anything.
  if (cfg->vcpus < 1 || cfg->vcpus > MAX_VCPUS)
    return refuse(cfg, "vcpus must be 1..8", (uint64_t)cfg->vcpus);
  if (cfg->home_node < 0 || cfg->home_node >= machine.nnodes)
    return refuse(cfg, "no such home node", (uint64_t)cfg->home_node);
  if (cfg->memory < 4 * MiB || cfg->memory % (2 * MiB) != 0)
    return refuse(cfg, "memory must be a multiple of 2 MiB, at least 4 MiB; MiB given",
                  cfg->memory / MiB);
  uint64_t span_unit = (uint64_t)machine.nnodes * 2 * MiB;
  if (cfg->span && cfg->memory % span_unit != 0)
    return refuse(cfg, "span-nodes: memory must split into 2 MiB chunks per node; MiB given",
                  cfg->memory / MiB);
  // Leave room for the page tables and the pmap (under 1% of it).
  uint64_t need = cfg->memory / PAGE_SIZE * 101 / 100 + 16;
  if (need > free_pages())
    return refuse(cfg, "more memory than the machine has free; MiB free",
                  free_pages() * PAGE_SIZE / MiB);
  uint64_t image_size;
  const void *image = bundle_find(cfg->image, &image_size);
  if (image == NULL) {
    printf("vm %s: not started: no image '%s' in the VM bundle\n", cfg->name,
           cfg->image);
    return NULL;
  }
  uint64_t initrd_size = 0;
  const void *initrd = NULL;
  if (cfg->initrd[0] != 0 &&
      (initrd = bundle_find(cfg->initrd, &initrd_size)) == NULL) {
    printf("vm %s: not started: no initrd '%s' in the VM bundle\n", cfg->name,
           cfg->initrd);
    return NULL;
  }

  int slot = -1;
  for (int i = 0; i < MAX_VMS && slot < 0; i++)
    if (vms[i].state == VM_FREE)
      slot = i;
  if (slot < 0)
    return refuse(cfg, "too many VMs; the limit is", MAX_VMS);
  struct vm *vm = &vms[slot];
  memset(vm, 0, sizeof(*vm));
  configs[slot] = *cfg;
  vm->id = slot + 1;
  memcpy(vm->name, cfg->name, sizeof(vm->name));
  vm->name[sizeof(vm->name) - 1] = 0;
  vm->home_node = cfg->home_node;
  vm->nvcpus = cfg->vcpus;
  spinlock_init(&vm->dev_lock, "vm devices");
  vplic_init(&vm->plic, 2 * cfg->vcpus);   // M and S context per vCPU
  char why[120];
  if (vvirtio_blk_init(vm, cfg, why, sizeof(why)) < 0) {   // its disk, if any
    printf("vm %s: not started: %s\n", cfg->name, why);
    return NULL;
  }

  if (pmap_init(&vm->pmap, (uint16_t)vm->id, cfg->home_node, GUEST_RAM_BASE,
                cfg->memory) < 0)
    return refuse(cfg, "out of memory for its pmap; MiB asked", cfg->memory / MiB);
  if (cfg->span)
    pmap_span(&vm->pmap, machine.nnodes);
  const char *err = loader_load(vm, image, image_size, &vm->entry);
  if (err != NULL) {
    printf("vm %s: not started: image '%s': %s\n", cfg->name, cfg->image, err);
    pmap_destroy(&vm->pmap);
    return NULL;
  }
  vm->fdt_gpa = GUEST_RAM_BASE + cfg->memory - GUEST_FDT_SIZE;
  // The initrd goes in the middle of RAM, where Linux-era bootloaders put
  // it, clear of the kernel at +2 MiB and of the device tree at the top.
  if (initrd != NULL) {
    vm->initrd_gpa = GUEST_RAM_BASE + cfg->memory / 2;
    vm->initrd_size = initrd_size;
    if (initrd_size > vm->fdt_gpa - vm->initrd_gpa ||
        vm_copy_to_guest(vm, vm->initrd_gpa, initrd, initrd_size) < 0) {
      printf("vm %s: not started: initrd '%s' (%lu bytes) does not fit in "
             "the upper half of its RAM\n", cfg->name, cfg->initrd, initrd_size);
      pmap_destroy(&vm->pmap);
      return NULL;
    }
  }
  if (vm_fdt_build(vm, cfg) < 0) {
    printf("vm %s: not started: cannot build its device tree\n", cfg->name);
    pmap_destroy(&vm->pmap);
    return NULL;
  }

  // vCPU 0 starts at the image's entry, the others wait for HSM
  // hart_start, as on a real machine under OpenSBI.
  for (int i = 0; i < vm->nvcpus; i++) {
    struct vcpu *v = &vm->vcpus[i];
    v->vm = vm;
    v->id = i;
    v->state = VCPU_STOPPED;
    v->next_state = VCPU_RUNNING;
    // A spanning VM's vCPUs are spread over the nodes like its memory:
    // vCPU i sits on the node whose share of the vCPUs it falls in.
    int node = cfg->span ? i * machine.nnodes / vm->nvcpus : cfg->home_node;
    v->hart = pick_hart(node, slot, i);
    v->hart_seen = -1;
    tlb_vcpu_init(v);
  }
  vcpu_reset(&vm->vcpus[0], vm->entry, vm->fdt_gpa);
  vm->start_time = rdtime();
  vm->state = VM_RUNNING;
  if (cfg->span)
    printf("vm %s: %d vCPUs, %lu MiB spread over %d nodes, image %s, entry %p\n",
           vm->name, vm->nvcpus, cfg->memory / MiB, machine.nnodes, cfg->image,
           (void *)vm->entry);
  else
    printf("vm %s: %d vCPUs, %lu MiB on node %d, image %s, entry %p\n",
           vm->name, vm->nvcpus, cfg->memory / MiB, vm->home_node, cfg->image,
           (void *)vm->entry);
  sched_start_vcpu(&vm->vcpus[0]);
  return vm;
}

// Is [gpa, gpa + len) all inside the VM's RAM? (Written so that a huge
// len cannot wrap around.)
static bool in_ram(struct vm *vm, uint64_t gpa, uint64_t len) {
  struct pmap *pm = &vm->pmap;
  return gpa >= pm->ram_base && gpa - pm->ram_base <= pm->ram_size &&
         len <= pm->ram_size - (gpa - pm->ram_base);
}

int vm_copy_to_guest(struct vm *vm, uint64_t gpa, const void *src,
                     uint64_t len) {
  if (!in_ram(vm, gpa, len))
    return -1;
  const uint8_t *s = src;
  while (len > 0) {
    uint64_t n = PAGE_SIZE - gpa % PAGE_SIZE;
    if (n > len)
      n = len;
    uint64_t pa = pmap_lookup(&vm->pmap, gpa);
    if (pa == 0) {                      // first touch, by the monitor
      if (pmap_fault(&vm->pmap, gpa) < 0)
        return -1;
      pa = pmap_lookup(&vm->pmap, gpa);
    }
    memcpy((void *)pa, s, n);
    gpa += n, s += n, len -= n;
  }
  return 0;
}

int vm_copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, uint64_t len) {
  if (!in_ram(vm, gpa, len))
    return -1;
  uint8_t *d = dst;
  while (len > 0) {
    uint64_t n = PAGE_SIZE - gpa % PAGE_SIZE;
    if (n > len)
      n = len;
    uint64_t pa = pmap_lookup(&vm->pmap, gpa);
    if (pa == 0)
      memset(d, 0, n);                  // never touched: reads as zeros
    else
      memcpy(d, (void *)pa, n);
    gpa += n, d += n, len -= n;
  }
  return 0;
}

void vm_stop(struct vm *vm, int code, const char *reason) {
  acquire(&sched_lock);
  if (vm->state != VM_RUNNING) {
    release(&sched_lock);
    return;                             // already stopping: first reason wins
  }
  vm->state = VM_STOPPING;
  vm->exit_code = code;
  vm->stop_time = rdtime();
  snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s", reason);
  release(&sched_lock);
  sched_kick_vm(vm);
}

void vm_fail(struct vcpu *v, const char *fmt, ...) {
  char msg[100];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  char reason[120];
  snprintf(reason, sizeof(reason), "vCPU %d at pc %p: %s", v->id,
           (void *)v->sepc, msg);
  vm_stop(v->vm, 1, reason);
  v->leave = 1;
}

void vm_finish(struct vm *vm) {
  vconsole_flush(vm);
  if (vconsole_focus() == vm)
    vconsole_focus_next();        // the keys go to a VM that can use them
  printf("vm %s: stopped: %s (exit %d)\n", vm->name, vm->exit_reason,
         vm->exit_code == VM_EXIT_REBOOT ? 0 : vm->exit_code);
  vm_print_counters(vm);
  pmap_destroy(&vm->pmap);
  bool reboot = vm->exit_code == VM_EXIT_REBOOT;
  acquire(&sched_lock);
  vm->state = reboot ? VM_FREE : VM_DONE;
  vms_rebooting += reboot;        // keeps the machine on meanwhile
  release(&sched_lock);
  if (reboot) {
    vm_create(&configs[vm->id - 1]);   // the same VM, from scratch
    acquire(&sched_lock);
    vms_rebooting--;
    release(&sched_lock);
  }
}

// Short names for the exception causes a guest can make the monitor see.
static const char *cause_name(int c) {
  switch (c) {
  case EXC_ECALL_VS: return "ecall";
  case EXC_INST_GUEST_PAGE_FAULT: return "gpf-fetch";
  case EXC_LOAD_GUEST_PAGE_FAULT: return "gpf-load";
  case EXC_STORE_GUEST_PAGE_FAULT: return "gpf-store";
  case EXC_VIRTUAL_INST: return "virtual-inst";
  default: return NULL;
  }
}

// Append to the line in buf (size bytes, *n used so far), keeping *n at
// most size - 1 however long the line would get, so that the next append
// never starts past the end.
static void append(char *buf, size_t size, int *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  *n += vsnprintf(buf + *n, size - (size_t)*n, fmt, ap);
  va_end(ap);
  if (*n > (int)size - 1)
    *n = (int)size - 1;
}

void vm_print_counters(struct vm *vm) {
  uint64_t traps[NCAUSES] = {0}, sbi[VSBI_NEXT] = {0};
  uint64_t ticks[NCAUSES] = {0}, irq_ticks = 0;
  uint64_t irqs = 0, wfis = 0, migrations = 0, idle = 0, mmio = 0;
  for (int i = 0; i < vm->nvcpus; i++) {
    struct vcpu *v = &vm->vcpus[i];
    for (int c = 0; c < NCAUSES; c++) {
      traps[c] += v->traps[c];
      ticks[c] += v->trap_ticks[c];
    }
    irq_ticks += v->irq_ticks;
    for (int e = 0; e < VSBI_NEXT; e++)
      sbi[e] += v->sbi_by_ext[e];
    irqs += v->interrupts;
    wfis += v->wfis;
    migrations += v->migrations;
    idle += v->idle_ticks;
    mmio += v->mmio_accesses;
  }
  // One line each, "name=value" pairs, so tests and graders can parse
  // them (tests/system/lib.py: counters()).
  char buf[400];
  int n = snprintf(buf, sizeof(buf), "counters %s: traps", vm->name);
  for (int c = 0; c < NCAUSES; c++) {
    const char *name = cause_name(c);
    if (traps[c] != 0 || name != NULL)
      append(buf, sizeof(buf), &n, " %s=%lu", name ? name : "other",
             traps[c]);
  }
  printf("%s host-irq=%lu wfi=%lu mmio=%lu migrations=%lu idle-ms=%lu\n", buf,
         irqs, wfis, mmio, migrations, idle * 1000 / machine.timebase);

  // The monitor's time on each kind of trap, in microseconds (the
  // handler's work; a vCPU's idle time is idle-ms above).
  // The names end in -us so that they differ from the counts above.
  n = snprintf(buf, sizeof(buf), "counters %s: monitor-time", vm->name);
  for (int c = 0; c < NCAUSES; c++) {
    const char *name = cause_name(c);
    if (ticks[c] != 0 || name != NULL)
      append(buf, sizeof(buf), &n, " %s-us=%lu", name ? name : "other",
             ticks[c] * 1000000 / machine.timebase);
  }
  printf("%s host-irq-us=%lu\n", buf, irq_ticks * 1000000 / machine.timebase);

  n = snprintf(buf, sizeof(buf), "counters %s: sbi", vm->name);
  for (int e = 0; e < VSBI_NEXT; e++)
    append(buf, sizeof(buf), &n, " %s=%lu", vsbi_ext_name(e), sbi[e]);
  printf("%s\n", buf);

  if (vm->blk.nsectors > 0)
    printf("counters %s: disk reads=%lu writes=%lu flushes=%lu errors=%lu "
           "direct=%lu wait-us=%lu\n", vm->name, vm->blk.reads, vm->blk.writes,
           vm->blk.flushes, vm->blk.errors, vm->blk.direct,
           vm->blk.wait_ticks * 1000000 / machine.timebase);

  struct pmap *pm = &vm->pmap;
  n = snprintf(buf, sizeof(buf), "counters %s: memory faults=%lu tables=%lu",
               vm->name, pm->faults, pm->table_pages);
  for (int i = 0; i < machine.nnodes; i++)
    append(buf, sizeof(buf), &n, " node%d=%lu", i, pm->mapped[i]);
  printf("%s\n", buf);
  tlb_print_counters(vm);
}
