// hyp/vm/vmconfig.h: the VM configuration: which VMs to run, and how.
//
// Written by an instructor as device-tree source (hyp/vms/*.dts), compiled
// with dtc and packed into the VM bundle as config.dtb. One node per VM,
// named after the VM (1 to 15 letters, digits or , . _ + - @; it labels
// the VM's output, so no control characters, nor in image and initrd, and
// a second VM of a name already used is refused):
//
//   vm0 {
//       compatible = "disco-v,vm";
//       vcpus = <2>;               (default 1)
//       memory-mib = <64>;         (required)
//       home-node = <0>;           (default: VMs spread over the nodes)
//       span-nodes;                (instead of home-node: spread its memory
//                                   and vCPUs over every node, and tell
//                                   the guest about its NUMA nodes)
//       image = "hello.elf";       (required: a file in the bundle)
//       initrd = "root.img";       (optional: loaded into its RAM, named
//                                   in /chosen as on Linux)
//       bootargs = "...";          (default: empty)
//       disk-mib = <16>;           (default: no disk; else a virtio-blk
//                                   disk, a region of the machine's disk,
//                                   see hyp/dev/vvirtio_blk.h)
//       disk-image = "fs.img";     (read by tools/mkbundle.py --disk-out
//                                   only: what the region holds at first)
//       disk-mode = "cow";         (default "persistent": the region is the
//                                   VM's own and keeps what it writes. "cow":
//                                   a copy-on-write disk, lab 3: every cow
//                                   VM of one disk-image reads one base
//                                   region holding the image, and its writes
//                                   go to its own overlay region, forgotten
//                                   when it stops or reboots; needs a
//                                   disk-image, and the same disk-mib as the
//                                   first cow VM of that image)
//       numa-policy = "migrate";   (default "off": lab 4's policy moves
//                                   the pages one node uses to that node,
//                                   hyp/mem/numa.h; "replicate" also copies
//                                   the pages several nodes read to each)
//       numa-scan-ms = <10>;       (with it: scan every N ms, revoking
//       numa-scan-pages = <256>;    this many pages; defaults in numa.h)
//   };
//
// Two properties of the root node are for the monitor as a whole:
//
//   memory-report-ms = <1000>;     (print a memory-report line this often:
//                                   virtual and machine memory, pages
//                                   shared, lab 3; vm_memory_report)
//   vmid-bits = <1>;               (use at most this many VMID bits, 0..14;
//                                   default: all the hardware has. A tiny
//                                   VMID space makes VMIDs roll over with
//                                   few VMs: how the lab 2 tests and the
//                                   auditor exercise it; hyp/mem/vmid.h)
//
// The disk regions follow the configuration's order: a VM's region starts
// where the regions of the VMs above it (those with a disk-mib) end, the
// first at sector 0, whether or not those VMs started; the first cow VM
// of a disk-image puts the image's base region before its own (overlay)
// region. So the layout is fixed by the file alone, and tools/mkbundle.py
// can build the machine's disk to match.
#ifndef HYP_VMCONFIG_H
#define HYP_VMCONFIG_H

// Read the configuration from the bundle, set up the TLB (tlb_boot, with
// the root's vmid-bits), and create every VM it lists.
// A bad entry is reported with its reason and skipped; the others start.
// Returns how many VMs were created.
int vmconfig_start_vms(void);

#endif
