// hyp/vm/vm.c: creating, running out and reporting virtual machines
// (see hyp/vm/vm.h).
#include <stdarg.h>
#include "hyp/boot/machine.h"
#include "hyp/cpu/sched.h"
#include "hyp/dev/diskq.h"
#include "hyp/dev/vconsole.h"
#include "hyp/mem/blockcache.h"
#include "hyp/mem/memmap.h"
#include "hyp/sbi/vsbi.h"
#include "hyp/vm/bundle.h"
#include "hyp/vm/loader.h"
#include "hyp/mem/backmap.h"
#include "hyp/vm/vm.h"
#include "hyp/vm/vm_fdt.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/string.h"

_Static_assert(MAX_VMS + 1 <= MEMMAP_MAX_RESV,
               "every VM and the back-mapping records hold a reservation");

struct vm vms[MAX_VMS];
struct spinlock vms_lock = SPINLOCK_INIT("vms");

// The configuration each VM was made from, to make it again on reboot.
// Written when its slot is claimed (FREE -> CREATING), by that hart alone.
static struct vm_config configs[MAX_VMS];

// ---- Creating a VM ----
//
// vm_create runs the steps below in order. Each step either succeeds or
// writes why it failed into `why` and returns -1 (or NULL); vm_create
// then undoes what the steps before it took, in one place, and prints
// the one report "vm NAME: not started: WHY".

#define WHY_MAX 160

// Write the reason a step failed into why (WHY_MAX bytes). Returns -1, so
// that a step can end with `return refuse(why, ...)`.
static int refuse(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(char *why, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, WHY_MAX, fmt, ap);
  va_end(ap);
  return -1;
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

// Step 1: is the configuration one we can run? Checked before anything
// is taken.
static int check_config(const struct vm_config *cfg, char *why) {
  if (cfg->vcpus < 1 || cfg->vcpus > MAX_VCPUS)
    return refuse(why, "vcpus must be 1..%d (%d)", MAX_VCPUS, cfg->vcpus);
  if (cfg->home_node < 0 || cfg->home_node >= machine.nnodes)
    return refuse(why, "no such home node (%d)", cfg->home_node);
  if (cfg->memory < 4 * MiB || cfg->memory % (2 * MiB) != 0)
    return refuse(why, "memory must be a multiple of 2 MiB, at least 4 MiB; "
                  "MiB given (%lu)", cfg->memory / MiB);
  uint64_t span_unit = (uint64_t)machine.nnodes * 2 * MiB;
  if (cfg->span && cfg->memory % span_unit != 0)
    return refuse(why, "span-nodes: memory must split into 2 MiB chunks per "
                  "node; MiB given (%lu)", cfg->memory / MiB);
  return 0;
}

// The files a VM boots from, found in the VM bundle.
struct boot_files {
  const void *image, *initrd;   // initrd NULL: none
  uint64_t image_size, initrd_size;
};

// Step 2: find the VM's image and initrd in the bundle.
static int find_files(const struct vm_config *cfg, struct boot_files *f,
                      char *why) {
  f->image = bundle_find(cfg->image, &f->image_size);
  if (f->image == NULL)
    return refuse(why, "no image '%s' in the VM bundle", cfg->image);
  f->initrd = NULL;
  f->initrd_size = 0;
  if (cfg->initrd[0] != 0 &&
      (f->initrd = bundle_find(cfg->initrd, &f->initrd_size)) == NULL)
    return refuse(why, "no initrd '%s' in the VM bundle", cfg->initrd);
  return 0;
}

// The slot whose saved configuration cfg is (a reboot: vm_finish passes
// the VM's own configs[i]), or -1 for a configuration from elsewhere.
static int reboot_slot(const struct vm_config *cfg) {
  for (int i = 0; i < MAX_VMS; i++)
    if (cfg == &configs[i])
      return i;
  return -1;
}

// Step 3: claim a slot in vms[] and mark it CREATING: on a reboot the
// VM's own slot (FINISHING, owned by this hart), otherwise the first FREE
// one, named after the configuration (which is kept, to make the VM
// again on reboot); NULL if all are taken. The state changes under
// sched_lock, so two harts never take one slot; the slot is set up under
// vms_lock, so the console never reads it half-written. Its per-boot
// fields (hyp/vm/vm.h) come back cleared.
static struct vm *take_slot(const struct vm_config *cfg, char *why) {
  int slot = reboot_slot(cfg);
  acquire(&vms_lock);
  acquire(&sched_lock);
  for (int i = 0; i < MAX_VMS && slot < 0; i++)
    if (vms[i].state == VM_FREE)
      slot = i;
  if (slot < 0) {
    release(&sched_lock);
    release(&vms_lock);
    refuse(why, "too many VMs; the limit is %d", MAX_VMS);
    return NULL;
  }
  struct vm *vm = &vms[slot];
  if (vm->state != VM_FREE && vm->state != VM_FINISHING)
    panic("vm_create: slot %d is in state %d", slot, vm->state);
  bool fresh = vm->state == VM_FREE;
  vm->state = VM_CREATING;
  vm->exit_code = 0;
  vm->exit_reason[0] = 0;
  vm->start_time = vm->stop_time = 0;
  release(&sched_lock);
  if (fresh) {
    configs[slot] = *cfg;
    vm->id = slot + 1;
    memcpy(vm->name, cfg->name, sizeof(vm->name));
    vm->name[sizeof(vm->name) - 1] = 0;
    vm->home_node = cfg->home_node;
    vm->nvcpus = cfg->vcpus;
  }
  // One boot's worth: from vcpus to the end of struct vm.
  memset(&vm->vcpus, 0, sizeof(*vm) - offsetof(struct vm, vcpus));
  release(&vms_lock);
  return vm;
}

// Reserve pages[] for the VM and records[] for its back-mappings, all or
// nothing. Returns 0, or -1 with *node the node short of pages.
static int reserve(struct vm *vm, const uint64_t pages[MAX_NODES],
                   const uint64_t records[MAX_NODES], int *node) {
  if (memmap_reserve_pages((uint16_t)vm->id, pages, node) == 0) {
    if (memmap_reserve_pages(OWNER_BACKMAP, records, node) == 0)
      return 0;
    memmap_unreserve_pages((uint16_t)vm->id, pages);
  }
  return -1;
}

// Step 3a, admission (README, "Virtual machines"): reserve every page the
// VM can ever hold, so that no other VM can starve it later: its guest
// RAM, its G-stage table and map (pmap_max_pages), and its share of the
// back-mapping records (backmap_pages_for). Or refuse it, with what it
// asks and what the node has (nothing is reserved then). The reservation
// stays with the slot across reboots (a reboot skips this step);
// release_memory gives it back. First starts are admitted one at a time:
// the boot hart creates the VMs. The block cache's unmapped pages (lab 3)
// are unreserved memory too: they are given back first if need be.
static int admit(struct vm *vm, const struct vm_config *cfg, char *why) {
  uint64_t pages[MAX_NODES], records[MAX_NODES] = {0};
  pmap_max_pages(GUEST_RAM_BASE, cfg->memory, cfg->home_node,
                 cfg->span ? machine.nnodes : 1, cfg->vcpus, pages);
  records[BACKMAP_NODE] = backmap_pages_for(cfg->memory / PAGE_SIZE);
  int node;
  if (reserve(vm, pages, records, &node) == 0 ||
      (blockcache_shrink() > 0 && reserve(vm, pages, records, &node) == 0)) {
    memcpy(vm->reserved, pages, sizeof(pages));
    memcpy(vm->reserved_records, records, sizeof(records));
    return 0;
  }
  uint64_t asked = pages[node] + records[node];
  return refuse(why, "it needs %lu MiB on node %d (its %lu MiB of RAM, page "
                "tables and back-mappings), but only %lu MiB there is "
                "unreserved", (asked * PAGE_SIZE + MiB - 1) / MiB, node,
                cfg->memory / MiB,
                memmap_stats(node).unreserved * PAGE_SIZE / MiB);
}

// Give back the VM's reservation (its pages must be freed already).
static void release_memory(struct vm *vm) {
  memmap_unreserve_pages((uint16_t)vm->id, vm->reserved);
  memmap_unreserve_pages(OWNER_BACKMAP, vm->reserved_records);
  memset(vm->reserved, 0, sizeof(vm->reserved));
  memset(vm->reserved_records, 0, sizeof(vm->reserved_records));
}

// Give up a slot that take_slot claimed (what the steps after it took is
// freed already): a first start gives back its reservation and the slot
// (FREE); a reboot leaves both to vm_finish, which marks the slot DONE.
static void give_back_slot(struct vm *vm, const struct vm_config *cfg) {
  bool reboot = reboot_slot(cfg) >= 0;
  if (!reboot)
    release_memory(vm);
  acquire(&vms_lock);
  acquire(&sched_lock);
  vm->state = reboot ? VM_FINISHING : VM_FREE;
  release(&sched_lock);
  release(&vms_lock);
}

// Step 4: its virtual devices: PLIC, UART (all zeros is its reset state)
// and, if the configuration gives it one, its disk.
static int init_devices(struct vm *vm, const struct vm_config *cfg,
                        char *why) {
  spinlock_init(&vm->dev_lock, "vm devices");
  vplic_init(&vm->plic, 2 * cfg->vcpus);   // M and S context per vCPU
  return vvirtio_blk_init(vm, cfg, why, WHY_MAX);
}

// Step 5: its memory: an empty pmap (pages come on first touch).
static int init_memory(struct vm *vm, const struct vm_config *cfg, char *why) {
  if (pmap_init(&vm->pmap, (uint16_t)vm->id, cfg->home_node, GUEST_RAM_BASE,
                cfg->memory) < 0)
    return refuse(why, "out of memory for its pmap; MiB asked (%lu)",
                  cfg->memory / MiB);
  if (cfg->span)
    pmap_span(&vm->pmap, machine.nnodes);
  numa_init(&vm->pmap, cfg->numa_policy, cfg->numa_scan_ms, cfg->numa_scan_pages,
            cfg->name);
  return 0;
}

// Where the three things the guest boots with lie in its RAM.
struct layout {
  struct gpa_range kernel;      // where its image says (hyp/vm/loader.c)
  struct gpa_range initrd;      // empty if it has none
  struct gpa_range fdt;         // the last GUEST_FDT_SIZE bytes of RAM
};

// Do a and b share a byte? (An empty range shares none.)
static bool overlap(struct gpa_range a, struct gpa_range b) {
  return a.start < a.end && b.start < b.end && a.start < b.end &&
         b.start < a.end;
}

// Step 6: the kernel image, into its RAM; where it went goes into *l.
static int load_kernel(struct vm *vm, const struct vm_config *cfg,
                       const struct boot_files *f, struct layout *l,
                       char *why) {
  const char *err = loader_load(vm, f->image, f->image_size, &vm->entry,
                                &l->kernel);
  if (err != NULL)
    return refuse(why, "image '%s': %s", cfg->image, err);
  return 0;
}

// Step 7: place the device tree and the initrd, and check that no two of
// kernel, initrd and device tree overlap. The device tree takes the top
// GUEST_FDT_SIZE bytes of RAM; the initrd goes right below it, its start
// rounded down to a page: as far from the kernel (at the bottom, growing
// up with its .bss and early allocations) as RAM allows. A placement that
// cannot work is refused here, with both ranges, rather than handed to a
// guest that would die of it and be blamed.
static int place_boot_data(struct vm *vm, const struct vm_config *cfg,
                           const struct boot_files *f, struct layout *l,
                           char *why) {
  uint64_t top = GUEST_RAM_BASE + cfg->memory;
  l->fdt = (struct gpa_range){top - GUEST_FDT_SIZE, top};
  if (overlap(l->kernel, l->fdt))
    return refuse(why, "the kernel image [0x%lx, 0x%lx) overlaps the device "
                  "tree [0x%lx, 0x%lx) at the top of RAM", l->kernel.start,
                  l->kernel.end, l->fdt.start, l->fdt.end);
  l->initrd = (struct gpa_range){l->fdt.start, l->fdt.start};
  if (f->initrd != NULL) {
    if (f->initrd_size > l->fdt.start - GUEST_RAM_BASE)
      return refuse(why, "initrd '%s' (%lu bytes) is larger than the RAM "
                    "below the device tree (%lu bytes)", cfg->initrd,
                    f->initrd_size, l->fdt.start - GUEST_RAM_BASE);
    l->initrd.start = ALIGN_DOWN(l->fdt.start - f->initrd_size, PAGE_SIZE);
    l->initrd.end = l->initrd.start + f->initrd_size;
    if (overlap(l->initrd, l->kernel))
      return refuse(why, "initrd '%s' [0x%lx, 0x%lx) overlaps the kernel "
                    "image [0x%lx, 0x%lx)", cfg->initrd, l->initrd.start,
                    l->initrd.end, l->kernel.start, l->kernel.end);
  }
  vm->fdt_gpa = l->fdt.start;
  vm->initrd_gpa = l->initrd.start;
  vm->initrd_size = f->initrd_size;
  return 0;
}

// Step 8: copy the initrd in, and write the VM's device tree (which says
// where the initrd is).
static int write_boot_data(struct vm *vm, const struct vm_config *cfg,
                           const struct boot_files *f, char *why) {
  if (f->initrd != NULL &&
      vm_copy_to_guest(vm, vm->initrd_gpa, f->initrd, f->initrd_size) < 0)
    return refuse(why, "initrd '%s': out of machine memory while copying it",
                  cfg->initrd);
  if (vm_fdt_build(vm, cfg) < 0)
    return refuse(why, "cannot build its device tree");
  return 0;
}

// Step 9: its vCPUs. vCPU 0 starts at the image's entry with a1 = the
// device tree; the others wait for HSM hart_start, as on a real machine
// under OpenSBI.
static void init_vcpus(struct vm *vm, const struct vm_config *cfg) {
  int slot = vm->id - 1;
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
    v->waited = 0;
    v->hart_seen = -1;
    tlb_vcpu_init(v);
  }
  vcpu_reset(&vm->vcpus[0], vm->entry, vm->fdt_gpa);
}

// Step 10: say so, and let vCPU 0 run.
static void start_vm(struct vm *vm, const struct vm_config *cfg) {
  acquire(&sched_lock);
  vm->start_time = rdtime();
  vm->state = VM_RUNNING;
  release(&sched_lock);
  if (vm->blk.present)
    diskq_attach(vm);             // its disk requests may start (not under
                                  // sched_lock: a completion takes it)
  if (cfg->span)
    printf("vm %s: %d vCPUs, %lu MiB spread over %d nodes, image %s, entry %p\n",
           vm->name, vm->nvcpus, cfg->memory / MiB, machine.nnodes, cfg->image,
           (void *)vm->entry);
  else
    printf("vm %s: %d vCPUs, %lu MiB on node %d, image %s, entry %p\n",
           vm->name, vm->nvcpus, cfg->memory / MiB, vm->home_node, cfg->image,
           (void *)vm->entry);
  sched_start_vcpu(&vm->vcpus[0]);
}

struct vm *vm_create(const struct vm_config *cfg) {
  char why[WHY_MAX];
  struct boot_files files;
  struct layout layout;
  struct vm *vm;

  if (check_config(cfg, why) < 0 || find_files(cfg, &files, why) < 0)
    goto refused;
  if ((vm = take_slot(cfg, why)) == NULL)
    goto refused;
  // Until start_vm, the slot is CREATING: no one else touches it.
  if ((reboot_slot(cfg) < 0 && admit(vm, cfg, why) < 0) ||
      init_devices(vm, cfg, why) < 0 || init_memory(vm, cfg, why) < 0)
    goto give_back;
  if (load_kernel(vm, cfg, &files, &layout, why) < 0 ||
      place_boot_data(vm, cfg, &files, &layout, why) < 0 ||
      write_boot_data(vm, cfg, &files, why) < 0)
    goto free_memory;
  init_vcpus(vm, cfg);
  start_vm(vm, cfg);
  return vm;

free_memory:
  pmap_destroy(&vm->pmap);
give_back:
  give_back_slot(vm, cfg);
refused:
  printf("vm %s: not started: %s\n", cfg->name, why);
  return NULL;
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
    // The copy runs under the pmap's locks (pmap_copy_in); a page the
    // guest never touched is backed first. (Another vCPU may give it up
    // again in between: then back it again.)
    if (pmap_copy_in(&vm->pmap, gpa, s, n) < 0) {
      if (pmap_fault(&vm->pmap, gpa) < 0)
        return -1;
      continue;
    }
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
    if (pmap_copy_out(&vm->pmap, d, gpa, n) < 0)
      memset(d, 0, n);                  // never touched: reads as zeros
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
  // Its disk requests in flight finish first: they may write into its
  // pages, and what it was told is written must be on the disk before
  // its region is used again (by its reboot).
  if (vm->blk.present)
    diskq_drain(vm);
  vm_print_counters(vm);
  pmap_destroy(&vm->pmap);
  // A reboot: the same VM, from scratch, in its own slot. Until it runs
  // the slot stays busy (CREATING), so the machine stays on meanwhile.
  // Its reservation stays meanwhile, so no other VM can take its memory.
  if (vm->exit_code == VM_EXIT_REBOOT && vm_create(&configs[vm->id - 1]) != NULL)
    return;
  release_memory(vm);
  acquire(&sched_lock);
  vm->state = VM_DONE;
  release(&sched_lock);
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
  uint64_t traps[NCAUSES] = {0}, sbi[MAX_SBI_EXTS] = {0};
  uint64_t ticks[NCAUSES] = {0}, irq_ticks = 0;
  uint64_t irqs = 0, wfis = 0, wfis_here = 0, migrations = 0, idle = 0, mmio = 0;
  for (int i = 0; i < vm->nvcpus; i++) {
    struct vcpu *v = &vm->vcpus[i];
    for (int c = 0; c < NCAUSES; c++) {
      traps[c] += v->traps[c];
      ticks[c] += v->trap_ticks[c];
    }
    irq_ticks += v->irq_ticks;
    for (int e = 0; e < vsbi_ext_count(); e++)
      sbi[e] += v->sbi_by_ext[e];
    irqs += v->interrupts;
    wfis += v->wfis;
    wfis_here += v->wfis_here;
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
  printf("%s host-irq=%lu wfi=%lu wfi-here=%lu mmio=%lu migrations=%lu idle-ms=%lu\n",
         buf, irqs, wfis, wfis_here, mmio, migrations, idle * 1000 / machine.timebase);

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
  for (int e = 0; e < vsbi_ext_count(); e++)
    append(buf, sizeof(buf), &n, " %s=%lu", vsbi_ext_name(e), sbi[e]);
  printf("%s\n", buf);

  if (vm->blk.nsectors > 0)
    printf("counters %s: disk reads=%lu writes=%lu flushes=%lu errors=%lu "
           "direct=%lu wait-us=%lu pieces=%lu inflight-max=%d queued-max=%d "
           "drained=%lu blocks=%lu cache-hits=%lu cache-fills=%lu "
           "blocks-mapped=%lu notifies=%lu irqs=%lu ring-pages=%d\n",
           vm->name, vm->blk.reads, vm->blk.writes, vm->blk.flushes,
           vm->blk.errors, vm->blk.direct,
           vm->blk.wait_ticks * 1000000 / machine.timebase, vm->blk.npieces,
           vm->blk.inflight_max, vm->blk.queued_max, vm->blk.drained,
           vm->blk.blocks, vm->blk.cache_hits, vm->blk.cache_fills,
           vm->blk.mapped, vm->blk.notifies, vm->blk.irqs, vm->blk.nrings);

  // Memory (lab 3's accounting): pages = guest pages backed now, of which
  // shared = mapped to a shared machine page, private = the rest.
  struct pmap *pm = &vm->pmap;
  uint64_t pages = 0;
  for (int i = 0; i < machine.nnodes; i++)
    pages += pm->mapped[i];
  n = snprintf(buf, sizeof(buf), "counters %s: memory faults=%lu tables=%lu",
               vm->name, pm->faults, pm->table_pages);
  for (int i = 0; i < machine.nnodes; i++)
    append(buf, sizeof(buf), &n, " node%d=%lu", i, pm->mapped[i]);
  append(buf, sizeof(buf), &n, " pages=%lu private=%lu shared=%lu shares=%lu cow-breaks=%lu",
         pages, pages - pm->shared, pm->shared, pm->shares, pm->cow_breaks);
  printf("%s\n", buf);
  tlb_print_counters(vm);
  numa_print_counters(&vm->pmap, vm->name);
}

// The machine's memory as lab 3 counts it (see vm_print_memory).
struct memory_sample {
  uint64_t used;            // machine pages in use, everyone's
  uint64_t shared;          // ... of which shared pages
  uint64_t virt;            // guest pages backed, all running VMs
  uint64_t mappings;        // ... of which mapped to a shared page
  uint64_t cow_breaks;      // private copies the running VMs made so far
};

static struct memory_sample memory_sample(void) {
  struct memory_sample m = {0, 0, 0, 0, 0};
  for (int n = 0; n < machine.nnodes; n++) {
    struct memmap_node_stats s = memmap_stats(n);
    m.used += s.used;
    m.shared += s.shared;
  }
  // Read without the pmaps' locks: a snapshot for people and the bench,
  // each count right at some moment.
  acquire(&vms_lock);
  for (int i = 0; i < MAX_VMS; i++) {
    struct pmap *pm = &vms[i].pmap;
    if (vms[i].state != VM_RUNNING)
      continue;
    for (int n = 0; n < machine.nnodes; n++)
      m.virt += __atomic_load_n(&pm->mapped[n], __ATOMIC_RELAXED);
    m.mappings += __atomic_load_n(&pm->shared, __ATOMIC_RELAXED);
    m.cow_breaks += __atomic_load_n(&pm->cow_breaks, __ATOMIC_RELAXED);
  }
  release(&vms_lock);
  return m;
}

void vm_print_memory(void) {
  struct memory_sample m = memory_sample();
  printf("counters machine: memory used=%lu shared=%lu virtual=%lu mappings=%lu "
         "machine=%lu saved=%ld\n", m.used, m.shared, m.virt, m.mappings,
         m.virt - m.mappings + m.shared, (int64_t)m.mappings - (int64_t)m.shared);
  blockcache_print();
}

static uint64_t report_ticks;       // vm_memory_report's period; 0: none
static uint64_t report_next, report_start;

void vm_memory_report_every(uint64_t ms) {
  report_ticks = machine.timebase / 1000 * ms;
  report_start = rdtime();
  report_next = report_start + report_ticks;
}

void vm_memory_report(void) {
  uint64_t now = rdtime();
  if (report_ticks == 0 || now < report_next)
    return;
  report_next = now + report_ticks;
  struct memory_sample m = memory_sample();
  struct blockcache_stats b = blockcache_stats();
  uint64_t t_ms = (now - report_start) * 1000 / machine.timebase;
  printf("memory-report: t-ms=%lu virtual=%lu machine=%lu shared=%lu mappings=%lu "
         "used=%lu cow-breaks=%lu disk=%lu image=%lu zero=%lu\n",
         t_ms, m.virt, m.virt - m.mappings + m.shared, m.shared, m.mappings, m.used,
         m.cow_breaks, b.disk_mappings, b.image_mappings, b.zero_mappings);
  // And (lab 4) each running VM's NUMA policy at work (tools/demo_numa.py
  // reads these lines live). vms_lock: no VM is rewritten meanwhile.
  acquire(&vms_lock);
  for (int i = 0; i < MAX_VMS; i++)
    if (vms[i].state == VM_RUNNING)
      numa_print_report(&vms[i].pmap, vms[i].name, t_ms);
  release(&vms_lock);
}
