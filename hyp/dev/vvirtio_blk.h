// hyp/dev/vvirtio_blk.h: a VM's virtual disk, a virtio-blk device on
// virtio-mmio (version 2, virtio 1.x) where QEMU's virt has its first
// virtio slot, so a guest's ordinary virtio driver finds and drives it.
//
// Disco gives each VM virtual disks that are parts of the machine's real
// disks, and the monitor does the I/O (Disco 4.2.4 "Virtual I/O Devices").
// Here each VM that asks for one (`disk-mib` in its configuration) gets
// its own region of the machine's disk (hyp/dev/virtio_blk.c): the VMs get
// consecutive regions in the order the configuration lists them, the
// first from sector 0 (hyp/vm/vmconfig.h). (Sharing blocks between VMs
// comes with the copy-on-write disk lab.)
//
// The guest's requests travel through split virtqueues in its own memory;
// every address in them is guest-physical and is checked against the VM's
// RAM before it is used. A request that names memory outside it, sectors
// beyond the VM's region, or a malformed chain is answered with an error
// status, never followed.
#ifndef HYP_VVIRTIO_BLK_H
#define HYP_VVIRTIO_BLK_H

#include "kernel/types.h"

#define VVIRTIO_GPA_BASE  0x10001000UL   // QEMU virt's first virtio-mmio slot
#define VVIRTIO_GPA_SIZE  0x1000UL
#define VVIRTIO_BLK_IRQ   1              // its PLIC source, as on QEMU virt
#define VVIRTIO_QUEUE_MAX 16             // QueueNumMax
#define VVIRTIO_BOUNCE    4096           // bytes moved per real-disk request

struct vm;
struct vm_config;

struct vvirtio_blk {
  bool present;              // the VM has a disk (else: no device there)
  uint64_t first_sector;     // its region of the real disk, in sectors
  uint64_t nsectors;

  // The transport's registers (virtio 1.2, 4.2.2).
  uint32_t status;           // device status (2.1)
  uint32_t dev_features_sel;
  uint32_t drv_features_sel;
  uint64_t drv_features;     // what the driver accepted
  uint32_t queue_sel;
  uint32_t interrupt_status; // VIRTIO_INT_* not yet acknowledged

  // Queue 0, the only one; all addresses guest-physical.
  uint32_t queue_num;        // its size, 0 until the driver sets it
  bool queue_ready;
  uint64_t desc, avail, used;
  uint16_t last_avail;       // next entry of the available ring to take
  uint16_t used_idx;         // our used->idx

  // Counters.
  uint64_t reads, writes, flushes;   // requests served, by kind
  uint64_t direct;           // reads and writes moved with no copy
  uint64_t wait_ticks;       // rdtime ticks spent waiting for the real disk
  uint64_t errors;           // requests refused (IOERR, UNSUPP, malformed)

  // Data between the guest's memory and the real disk goes through here:
  // monitor memory, so physically contiguous, as the real disk needs.
  uint8_t bounce[VVIRTIO_BOUNCE] __attribute__((aligned(16)));
};

// Give the VM the virtual disk its configuration asks for (cfg->disk
// bytes; none if 0): a region of the machine's disk, taken the first time
// a VM of this name is created and kept for its reboots. Returns 0, or -1
// with the reason in why[0..n) when the machine has no disk or too little
// of it is left. The caller has zeroed vm->blk.
int vvirtio_blk_init(struct vm *vm, const struct vm_config *cfg, char *why,
                     int n);

// A guest's load (read) or store (write) at offset off of the device's
// window. Registers take 4-byte accesses; the config space also 1- and
// 2-byte ones (4.2.2.2). Returns 0, or -1 for an access the device does
// not have (a wrong width or alignment, a hole in the map, a write to a
// read-only register): the caller stops the VM. A write to QueueNotify
// serves the requests waiting in the queue before it returns. The caller
// holds the VM's device lock and calls mmio_irq_changed() afterwards.
int vvirtio_blk_read(struct vm *vm, uint64_t off, int width, uint64_t *val);
int vvirtio_blk_write(struct vm *vm, uint64_t off, int width, uint64_t val);

// Is vm's disk's interrupt line up (some InterruptStatus bit set)?
bool vvirtio_blk_irq_level(struct vm *vm);

// Does vm have a disk at all (its configuration gave it disk-mib)?
bool vvirtio_blk_present(struct vm *vm);

#endif
