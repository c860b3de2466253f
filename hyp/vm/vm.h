// hyp/vm/vm.h: virtual machines.
//
// A VM is what Disco calls a virtual machine (Disco 4.2): some virtual
// CPUs, some guest-physical memory (its pmap), and virtual devices. Each
// one looks to its guest like a QEMU `virt` machine, so a kernel built for
// QEMU's virt runs on it unchanged:
//
//    0x0c000000  PLIC (interrupt controller)      hyp/dev/vplic.c
//    0x10000000  UART (ns16550a), PLIC source 10  hyp/dev/vuart.c
//    0x10001000  virtio-blk disk, PLIC source 1   hyp/dev/vvirtio_blk.c
//                (only if its configuration gives it one: disk-mib)
//    0x80000000  RAM, `memory` MiB of it: the kernel image where it
//                says (a flat image at +2 MiB), the device tree the
//                monitor writes in the top 64 KiB, and the initrd, if
//                any, right below the device tree (hyp/vm/vm.c)
#ifndef HYP_VM_H
#define HYP_VM_H

#include "hyp/param.h"
#include "hyp/mem/pmap.h"
#include "hyp/cpu/vcpu.h"
#include "hyp/dev/vplic.h"
#include "hyp/dev/vuart.h"
#include "hyp/dev/vvirtio_blk.h"
#include "kernel/spinlock.h"

#define MAX_VCPUS    8       // per VM

#define GUEST_RAM_BASE  0x80000000UL
#define GUEST_KERNEL_OFFSET (2 * MiB)   // where OpenSBI would put a kernel
#define GUEST_FDT_SIZE  (64 * KiB)      // room for the guest's device tree

// vm_stop's code for "reboot": the VM starts again from its image.
#define VM_EXIT_REBOOT (-2)

// VM states, and how a VM's slot in vms[] goes through them. Every
// change of state is made under sched_lock; the hart that makes a change
// owns the step that follows, so no two harts ever work on one VM's
// creation or finish at once:
//
//   FREE -> CREATING -> RUNNING -> STOPPING -> FINISHING -> DONE
//             ^  (vm_create)       (vm_stop)  (after_run)   |   (vm_finish)
//             +-------- reboot: the same slot again --------+
//
// A VM that cannot be created goes back to FREE (on its first start) or
// to DONE (on a reboot). A slot never goes from DONE back to FREE.
enum vm_state {
  VM_FREE,          // unused
  VM_CREATING,      // one hart is building it (vm_create)
  VM_RUNNING,
  VM_STOPPING,      // stopped, but some vCPU may still be on a hart
  VM_FINISHING,     // every vCPU off its hart; one hart runs vm_finish
  VM_DONE,          // finished: counters printed, memory freed
};

// What the VM configuration says about one VM (hyp/vm/vmconfig.c).
struct vm_config {
  char name[16];
  int vcpus;
  uint64_t memory;          // bytes of guest RAM
  int home_node;            // NUMA node its memory and vCPUs live on
  bool span;                // spread over every node instead (span-nodes)
  char image[48];           // guest image, by name in the VM bundle
  char initrd[48];          // an initrd for the guest, in the bundle ("": none)
  char bootargs[128];       // the guest's /chosen/bootargs
  uint64_t disk;            // bytes of virtio-blk disk (disk-mib); 0: none
  uint64_t disk_offset;     // where its region starts on the machine's disk
  bool disk_cow;            // disk-mode = "cow": its region is an overlay
                            //   on a base region shared with other VMs
  uint64_t disk_base_offset;  // ... which starts here (cow only)
  enum numa_policy numa_policy;  // numa-policy (lab 4, hyp/mem/numa.h)
  uint32_t numa_scan_ms;    // numa-scan-ms, numa-scan-pages (0: defaults)
  uint32_t numa_scan_pages;
};

// The fields are grouped by what keeps them consistent between harts
// (as xv6 groups struct proc's): the lock to hold, or the rule.
struct vm {
  // ---- Fixed for the slot's life: set by vm_create on a FREE slot, kept
  // across reboots; anyone may read them once the state is not FREE.
  // (The reservation below is written at admission and at the end.) ----
  int id;                   // 1..MAX_VMS: memmap owner (VMID: pmap.tlb)
  char name[16];
  int home_node;
  int nvcpus;
  // What it reserved at admission, on each node (memmap_reserve_pages):
  // for its own pages, and for back-mapping records (OWNER_BACKMAP).
  // Written only by the hart that creates or finishes it.
  uint64_t reserved[MAX_NODES];
  uint64_t reserved_records[MAX_NODES];

  // ---- sched_lock (hyp/cpu/sched.h) ----
  enum vm_state state;
  int exit_code;            // from SRST / the reason it stopped
  char exit_reason[120];
  uint64_t start_time, stop_time;   // rdtime

  // ---- vconsole_lock (hyp/dev/vconsole.c): its console line so far ----
  char line[200];
  int linelen;

  // ---- One boot's worth: cleared by vm_create at every start and reboot,
  // under vms_lock. While the VM is CREATING or FINISHING only the hart
  // doing that step touches them; while it runs, each has its own rule. ----
  struct vcpu vcpus[MAX_VCPUS];   // scheduling fields: sched_lock (vcpu.h)
  struct pmap pmap;               // pmap.lock
  uint64_t fdt_gpa;         // where its device tree is; these three are
  uint64_t initrd_gpa, initrd_size;   // written by vm_create only
  uint64_t entry;           // where vCPU 0 starts

  struct spinlock dev_lock; // the virtual devices below
  struct vuart uart;
  struct vplic plic;
  struct vvirtio_blk blk;   // present only if the VM has a disk
};

extern struct vm vms[MAX_VMS];

// Held to clear a slot's per-boot fields (vm_create), and by anyone
// outside a VM's own vCPUs and lifecycle who reads those fields (the
// console keys): while it is held, no VM's vCPUs, pmap or devices are
// rewritten underneath. Taken before a VM's dev_lock and sched_lock.
extern struct spinlock vms_lock;

// Create a VM from its configuration: memory, image, initrd, device
// tree, vCPU 0 ready to run. The kernel image, the initrd and the device
// tree must each fit in RAM without overlapping another. On an error,
// print "vm NAME: not started: WHY" (with the wrong value, or the two
// ranges that overlap), free what was taken and return NULL: the other
// VMs still start. Safe on any hart, at the same time as any other VM's
// creation, stop or finish.
struct vm *vm_create(const struct vm_config *cfg);

// Copy len bytes from the monitor's memory into guest-physical gpa, or
// out of it. Returns 0, or -1 if any byte is outside the VM's RAM
// (nothing is copied then). Copying in gives a guest page its machine
// page on first use, as the guest's own first touch would; copying out of
// a page the guest never touched reads zeros and backs nothing. Each
// page's copy runs under the pmap's locks (pmap_copy_in/out), so another
// vCPU that gives the page up meanwhile cannot have its machine page
// reused under the copy.
int vm_copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, uint64_t len);
int vm_copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, uint64_t len);

// Stop the VM: its vCPUs leave their harts at their next trap, and its
// memory is freed when the last one has. `code` is its exit status
// (0 = clean shutdown), `reason` a message for the console.
void vm_stop(struct vm *vm, int code, const char *reason);

// Stop the VM because its guest did something wrong; the report names
// the vCPU and its pc. Never touches the monitor or the other VMs.
void vm_fail(struct vcpu *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Called by the scheduler when a stopping VM's last vCPU is off its hart
// (the VM is FINISHING, and this hart alone works on it): print its
// counters, free its memory; on a reboot, create it again in its slot.
void vm_finish(struct vm *vm);

// Print the VM's counters, one line per group, in the format the tests,
// graders and make bench parse (README, "The console"):
//   counters vm0: traps ecall=12 gpf-fetch=3 ... idle-ms=40
//   counters vm0: monitor-time ecall-us=35 ...
//   counters vm0: sbi base=2 ...
//   counters vm0: disk reads=9 ...          (only a VM with a disk)
//   counters vm0: memory faults=14 tables=7 node0=14 ...
//   counters vm0: tlb vmid=1 vmids=1 flush-all=1 ...   (hyp/mem/tlb.c)
void vm_print_counters(struct vm *vm);

// Print the machine's memory and sharing (lab 3) on two lines:
//   counters machine: memory used=900 shared=300 virtual=2000 mappings=1500
//                            machine=800 saved=1200
//   counters machine: sharing blocks=.. (hyp/mem/blockcache.h)
// used: machine pages in use, everyone's (the monitor's, page tables);
// shared: of those, shared pages (the blockcache's and the zero page);
// virtual: guest pages backed, all running VMs together (Disco's "V",
// figure 6); mappings: of those, the ones mapped to a shared page;
// machine: what the VMs' memory takes, their private pages and the shared
// ones (Disco's "M"); saved: mappings - shared, the pages the VMs would
// hold more if each had its own copy (negative while the cache holds more
// blocks than anyone maps).
void vm_print_memory(void);

// Print the same figures as one line every `ms` milliseconds from now
// (the configuration's memory-report-ms; for the sharing demo and make
// bench), when vm_memory_report is called (the boot hart, between runs):
//   memory-report: t-ms=1000 virtual=.. machine=.. shared=.. mappings=.. used=..
//                  cow-breaks=..   (the running VMs' pmap_cow copies so far)
//                  disk=.. image=.. zero=..   (the mappings by kind of
//                  shared page: disk blocks, guest image pages, zero pages)
// and, for each running VM with a NUMA policy (lab 4), its counters and
// its guest pages per node:
//   numa-report: t-ms=1000 vm=eng revoked=.. hints=.. remote-hints=..
//                migrated=.. replicated=.. collapsed=.. node0=.. node1=..
//                vcpu-moves=..   (hyp/mem/numa.h: numa_print_report)
void vm_memory_report_every(uint64_t ms);
void vm_memory_report(void);

#endif
