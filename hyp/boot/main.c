// hyp/boot/main.c: the monitor's boot sequence, on the boot hart.
//
//   hyp/boot/entry.S  ->  hyp_main(hartid, dtb)
//                      1. console and trap vector
//                      2. read the machine from the device tree
//                      3. check for the H-extension
//                      4. build the memmap (machine memory, per node)
//                      5. start the other harts, which report in
//                      6. print what we found; start the disk driver
//                      7. create the VMs the bundle describes, and run
//                         the scheduler on every hart; with no bundle
//                         (no -initrd), power off

#include "hyp/vm/bundle.h"
#include "hyp/dev/conskeys.h"
#include "hyp/boot/hart.h"
#include "hyp/boot/machine.h"
#include "hyp/mem/memmap.h"
#include "hyp/cpu/sched.h"
#include "hyp/cpu/trap.h"
#include "hyp/dev/virtio_blk.h"
#include "hyp/vm/vmconfig.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/riscv.h"
#include "kernel/sbi.h"

// Power the machine off. QEMU exits with status 0 for a plain shutdown
// and non-zero for "system failure", so a test can tell the two apart.
static void __attribute__((noreturn)) power_off(bool failed) {
  printf("Disco-V: powering off%s\n", failed ? " (failure)" : "");
  sbi_system_reset(SBI_RESET_SHUTDOWN,
                   failed ? SBI_RESET_REASON_FAILURE : SBI_RESET_REASON_NONE);
  for (;;)
    wfi();
}

// Allocate and free one page preferring each node, and check that each
// came from where it should: a cheap self-test on every boot.
static bool memmap_selftest(void) {
  for (int n = 0; n < machine.nnodes; n++) {
    struct memmap_node_stats s = memmap_stats(n);
    uint64_t pa = memmap_alloc(n, OWNER_MONITOR);
    struct memmap_entry *e = memmap_lookup(pa);
    if (pa == 0 || e == NULL || (s.free > 0 && e->node != n)) {
      printf("memory: self-test failed on node %d (page %p)\n", n,
             (void *)pa);
      return false;
    }
    memmap_free(pa);
  }
  return true;
}

void hyp_main(uint64_t hartid, void *dtb) {
  console_init();
  trap_init();
  printf("\nDisco-V monitor: boot hart %lu, device tree at %p\n", hartid, dtb);
  printf("firmware: SBI spec %ld.%ld, implementation %ld version %lx\n",
         sbi_spec_version() >> 24, sbi_spec_version() & 0xffffff,
         sbi_impl_id(), sbi_impl_version());

  if (machine_read(dtb, hartid) < 0) {
    printf("Disco-V: cannot make sense of this machine; stopping\n");
    power_off(true);
  }

  // The monitor runs guests in VS-mode, which only the H-extension has
  // (privileged spec, chapter 8). QEMU has it on by default since 7.0;
  // "-cpu rv64,h=false" takes it away.
  if (!trap_probe_h_extension()) {
    printf("Disco-V needs the RISC-V hypervisor (H) extension, and hart %lu "
           "does not have it.\nRun QEMU with '-cpu rv64' (h=true is the "
           "default since QEMU 7.0).\n", hartid);
    power_off(true);
  }

  memmap_boot();

  int up = harts_start();
  machine_print();
  memmap_print();
  printf("harts: %d of %d up\n", up, machine.nharts);
  bool ok = memmap_selftest();
  printf("memory: allocator self-test %s\n", ok ? "ok" : "FAILED");

  if (!ok || up != machine.nharts)
    power_off(true);

  // The machine's disk, if it has one: the VMs' disks are parts of it.
  virtio_blk_init();

  // The VMs. Without a bundle there is nothing to run: that is how the
  // boot tests run the monitor, and how `make qemu` shows the machine.
  if (machine.initrd.size == 0) {
    printf("Disco-V: boot complete; no VM bundle (-initrd), nothing to run\n");
    power_off(false);
  }
  sched_hart_init();
  if (bundle_init(machine.initrd.base, machine.initrd.size) < 0 ||
      vmconfig_start_vms() == 0) {
    printf("Disco-V: no VM could be started\n");
    power_off(true);
  }
  conskeys_init();
  harts_release();
  sched_run();
}
