// tests/fuzz/fuzz_vmconfig.c: fuzz the VM configuration reader,
// hyp/vm/vmconfig.c.
//
// What it proves: the configuration is a device tree in the bundle,
// written by anyone, so hyp/vm/vmconfig.c must turn any bytes into VMs
// that are what the tree says, or into reasons. The input is the
// config.dtb; the target packs it into a bundle of one file, as
// tools/mkbundle.py would, and calls vmconfig_start_vms() unchanged. Its
// calls to vm_create() land here instead, and each configuration handed
// over must
//   - belong to a node compatible with "disco-v,vm", in the file's order,
//     and carry that node's name (NUL-terminated, 1 to 15 of the
//     characters a device-tree node name may hold: no control characters,
//     since the name labels the VM's lines on the console), and image
//     and initrd names of printable text;
//   - have the memory, vCPUs (default 1), home node (default: its index
//     modulo the machine's nodes), span-nodes, disk, image, initrd and
//     bootargs that node holds, every string NUL-terminated in its field;
//   - have its disk region where the regions of the VMs above it end,
//     whether or not they started (hyp/vm/vmconfig.h).
// And nothing reads outside the blob (ASan).
#include <stdlib.h>
#include <string.h>

#include "hyp/vm/bundle.h"
#include "hyp/boot/machine.h"
#include "hyp/vm/vm.h"
#include "hyp/vm/vmconfig.h"
#include "kernel/fdt.h"
#include "tests/fuzz/fuzz.h"

struct machine machine;         // vmconfig.c reads machine.nnodes

static struct fdt tree;         // the same blob, read by the target
static int next_node;           // where the next VM's node may be found
static int index_of_next;       // its index among the disco-v,vm nodes
static uint64_t disk_before;    // disk-mib of the nodes before it, in bytes
static int created;
static struct vm fake_vm;

// Is s a NUL-terminated string in its n-byte field?
static bool terminated(const char *s, size_t n) {
  return memchr(s, 0, n) != NULL;
}

// Does string property prop of node match field (absent: field is "")?
static bool same_string(int node, const char *prop, const char *field) {
  const void *val;
  int len;
  if (fdt_getprop(&tree, node, prop, &val, &len) < 0)
    return field[0] == 0;
  return len >= 1 && memcmp(val, field, (size_t)len) == 0;
}

// The disk bytes node asks for (disk-mib), 0 for none.
static uint64_t disk_of(int node) {
  uint32_t mib;
  return fdt_getprop_u32(&tree, node, "disk-mib", &mib) == 0 ? (uint64_t)mib * MiB : 0;
}

// Is cfg what node says, for the VM of index `index`, with the disks of
// the nodes above it adding up to `before`?
static bool matches(const struct vm_config *cfg, int node, int index, uint64_t before) {
  uint32_t mem, vcpus = 1, home = (uint32_t)(index % machine.nnodes);
  const void *val;
  int len;
  fdt_getprop_u32(&tree, node, "vcpus", &vcpus);
  fdt_getprop_u32(&tree, node, "home-node", &home);
  uint64_t disk = disk_of(node);
  return strcmp(fdt_node_name(&tree, node), cfg->name) == 0 &&
         fdt_getprop_u32(&tree, node, "memory-mib", &mem) == 0 &&
         cfg->memory == (uint64_t)mem * MiB && cfg->vcpus == (int)vcpus &&
         cfg->home_node == (int)home &&
         cfg->span == (fdt_getprop(&tree, node, "span-nodes", &val, &len) == 0) &&
         cfg->disk == disk && (disk == 0 || cfg->disk_offset == before) &&
         same_string(node, "image", cfg->image) && same_string(node, "initrd", cfg->initrd) &&
         same_string(node, "bootargs", cfg->bootargs);
}

// What vmconfig_start_vms hands over for each VM it starts: it must be
// the next node that says so; the nodes skipped were refused (their
// disks still count).
// The VMID width the configuration asks for goes to the TLB code (lab 2),
// which is not here.
void tlb_boot(int limit) { (void)limit; }

// The root's memory-report-ms starts the monitor's periodic memory line
// (hyp/vm/vm.c), which is not here either.
void vm_memory_report_every(uint64_t ms) { (void)ms; }

struct vm *vm_create(const struct vm_config *cfg) {
  FUZZ_CHECK(terminated(cfg->name, sizeof(cfg->name)) &&
             terminated(cfg->image, sizeof(cfg->image)) &&
             terminated(cfg->initrd, sizeof(cfg->initrd)) &&
             terminated(cfg->bootargs, sizeof(cfg->bootargs)),
             "a string of VM %.16s is not NUL-terminated", cfg->name);
  // The name labels every line the VM prints: a device-tree node name
  // (devicetree spec 2.2.1: letters, digits, ",._+-", and "@" before a
  // unit address), never empty, never a control character.
  FUZZ_CHECK(cfg->name[0] != 0 &&
             strspn(cfg->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789,._+-@") == strlen(cfg->name),
             "VM named \"%s\" was created", cfg->name);
  for (const char *c = cfg->image; *c != 0; c++)
    FUZZ_CHECK(*c >= ' ' && *c <= '~', "VM %s: image name holds %#x", cfg->name, *c);
  for (const char *c = cfg->initrd; *c != 0; c++)
    FUZZ_CHECK(*c >= ' ' && *c <= '~', "VM %s: initrd name holds %#x", cfg->name, *c);
  int node = next_node;
  while (node >= 0 && !matches(cfg, node, index_of_next, disk_before)) {
    disk_before += disk_of(node);
    node = fdt_find_compatible(&tree, node, "disco-v,vm");
    index_of_next++;
  }
  FUZZ_CHECK(node >= 0, "VM %s (memory %lu, vcpus %d, home %d, span %d, disk %lu at %lu, "
             "image \"%s\", initrd \"%s\", bootargs \"%s\") is no node's", cfg->name,
             cfg->memory, cfg->vcpus, cfg->home_node, cfg->span, cfg->disk, cfg->disk_offset,
             cfg->image, cfg->initrd, cfg->bootargs);
  disk_before += disk_of(node);
  next_node = fdt_find_compatible(&tree, node, "disco-v,vm");
  index_of_next++;
  created++;
  return &fake_vm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The bundle: header, one entry, the blob (at offset 80, not 4 KiB:
  // the readers must not care), in a buffer of exactly that size.
  size_t total = 16 + 64 + size;
  uint8_t *b = calloc(1, total);
  memcpy(b, "DISCOVB1", 8);
  b[8] = 1;
  strcpy((char *)b + 16, "config.dtb");
  uint64_t off = 80, len = size;
  for (int i = 0; i < 8; i++) {
    b[16 + 48 + i] = (uint8_t)(off >> (8 * i));
    b[16 + 56 + i] = (uint8_t)(len >> (8 * i));
  }
  memcpy(b + 80, data, size);
  FUZZ_CHECK(bundle_init((uint64_t)(uintptr_t)b, total) == 0, "my own bundle was refused");

  machine.nnodes = 1 + (int)(size % 4);
  created = 0;
  next_node = -1;
  index_of_next = 0;
  disk_before = 0;
  if (fdt_init(&tree, b + 80, size) == 0)
    next_node = fdt_find_compatible(&tree, -1, "disco-v,vm");
  int n = vmconfig_start_vms();
  FUZZ_CHECK(n == created, "vmconfig_start_vms says %d VMs, vm_create saw %d", n, created);
  free(b);
  return 0;
}
