// tests/unit/test_vmconfig.c: host tests for hyp/vm/vmconfig.c, the VM
// configuration reader.
//
// The configuration comes out of the VM bundle, which the monitor cannot
// trust, and each VM's name labels every line that VM prints on the
// console. These cases prove that a configuration cannot give a VM a name
// (or an image or initrd name, which messages print) holding a control
// character, such as ESC [ 2K (erase the line) or a newline, with which a
// bundle could print lines that pass for the monitor's; that the root
// node, whose name is empty, is no VM; and that the names dtc allows still
// work. (tests/fuzz/fuzz_vmconfig.c found the first.)
//
// Each case writes a config.dtb with kernel/fdt_write.c, packs it into a
// bundle as tools/mkbundle.py would, and runs vmconfig_start_vms(), whose
// calls to vm_create() and printf() land here.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hyp/boot/machine.h"
#include "hyp/vm/bundle.h"
#include "hyp/vm/vm.h"
#include "hyp/vm/vmconfig.h"
#include "kernel/fdt_write.h"
#include "tests/unit/unit.h"

struct machine machine = {.nnodes = 1};

// What vm_create was handed, and everything printed, per case.
static struct vm_config created[8];
static int ncreated;
static char printed[4096];
static struct vm a_vm;

// The VMID width the configuration asks for goes to the TLB code (lab 2),
// and the memory report's period to hyp/vm/vm.c, neither of which is here.
void tlb_boot(int limit) { (void)limit; }
void vm_memory_report_every(uint64_t ms) { (void)ms; }

struct vm *vm_create(const struct vm_config *cfg) {
  if (ncreated < 8)
    created[ncreated] = *cfg;
  ncreated++;
  return &a_vm;
}

// While vmconfig_start_vms runs, printf collects into printed[]; the rest
// of the time (this file's "ok" lines) it prints as usual.
static int capturing;

int printf(const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  if (capturing) {
    size_t used = strlen(printed);
    n = vsnprintf(printed + used, sizeof(printed) - used, fmt, ap);
  } else {
    n = vprintf(fmt, ap);
  }
  va_end(ap);
  return n;
}

// One VM node: name, image, initrd ("" for none).
struct node {
  const char *name, *image, *initrd;
};

// Its disk, for the cases that give the nodes disks (disks[i] for node
// i): disk-mib, or 0 for no disk; disk-image and disk-mode, NULL for none.
struct disk {
  uint32_t mib;
  const char *image, *mode;
};
static const struct disk *disks;

// Write a configuration of these VM nodes (the first may be the root
// itself, name ""), bundle it, and read it. Returns how many VMs started.
static int run(const struct node *nodes, int n) {
  static uint8_t dtb[4096], bundle[16 + 64 + 4096];
  struct fdt_writer w;
  fdt_write_begin(&w, dtb, sizeof(dtb));
  int first = 0;
  fdt_write_node_begin(&w, "");
  if (n > 0 && nodes[0].name[0] == 0)
    first = 1;                              // the root is a VM node too
  for (int i = 0; i < n; i++) {
    if (i >= first)
      fdt_write_node_begin(&w, nodes[i].name);
    fdt_write_prop_string(&w, "compatible", "disco-v,vm");
    fdt_write_prop_u32(&w, "memory-mib", 8);
    fdt_write_prop_string(&w, "image", nodes[i].image);
    if (nodes[i].initrd[0] != 0)
      fdt_write_prop_string(&w, "initrd", nodes[i].initrd);
    if (disks != NULL && disks[i].mib != 0)
      fdt_write_prop_u32(&w, "disk-mib", disks[i].mib);
    if (disks != NULL && disks[i].image != NULL)
      fdt_write_prop_string(&w, "disk-image", disks[i].image);
    if (disks != NULL && disks[i].mode != NULL)
      fdt_write_prop_string(&w, "disk-mode", disks[i].mode);
    if (i >= first)
      fdt_write_node_end(&w);
  }
  fdt_write_node_end(&w);
  int size = fdt_write_finish(&w);
  if (size < 0)
    return -100;
  memset(bundle, 0, sizeof(bundle));
  memcpy(bundle, "DISCOVB1", 8);
  bundle[8] = 1;
  strcpy((char *)bundle + 16, "config.dtb");
  bundle[16 + 48] = 80;                     // offset, little-endian
  bundle[16 + 56] = (uint8_t)size;          // size
  bundle[16 + 57] = (uint8_t)(size >> 8);
  memcpy(bundle + 80, dtb, (size_t)size);
  if (bundle_init((uint64_t)(uintptr_t)bundle, 80 + (uint64_t)size) < 0)
    return -101;
  ncreated = 0;
  printed[0] = 0;
  capturing = 1;
  int started = vmconfig_start_vms();
  capturing = 0;
  return started;
}

// Does the text hold a byte below space other than a newline?
static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < ' ' && *s != '\n')
      return 1;
  return 0;
}

// Names dtc writes (devicetree spec 2.2.1's characters) still start.
static void vmconfig_dtc_names_start(void) {
  struct node n[] = {{"vm0", "a.elf", ""}, {"A-b_c.d+e,f@1", "b.elf", "root.img"}};
  CHECK(run(n, 2) == 2);
  CHECK(strcmp(created[0].name, "vm0") == 0);
  CHECK(strcmp(created[1].name, "A-b_c.d+e,f@1") == 0);
  CHECK(strcmp(created[1].initrd, "root.img") == 0);
}

// A name with ESC [ 2K (erase the line) is refused, and the refusal does
// not print it either; the VM after it starts.
static void vmconfig_name_with_escape_refused(void) {
  struct node n[] = {{"x\x1b[2Ky", "a.elf", ""}, {"ok", "a.elf", ""}};
  CHECK(run(n, 2) == 1);
  CHECK(ncreated == 1 && strcmp(created[0].name, "ok") == 0);
  CHECK(strstr(printed, "vm number 1 of the configuration: not started") != NULL);
  CHECK(!has_control(printed));
}

// A newline in a name would start a line of its own on the console.
static void vmconfig_name_with_newline_refused(void) {
  struct node n[] = {{"a\nvm", "a.elf", ""}};
  CHECK(run(n, 1) == 0);
  CHECK(ncreated == 0);
  CHECK(strstr(printed, "a\nvm") == NULL);
}

// The root node has no name: a configuration that makes the root a VM
// gets a reason, not a VM called "".
static void vmconfig_root_is_no_vm(void) {
  struct node n[] = {{"", "a.elf", ""}};
  CHECK(run(n, 1) == 0);
  CHECK(ncreated == 0);
  CHECK(strstr(printed, "not started: the node has no name") != NULL);
}

// Image and initrd names are printed in messages too ("no image '...' in
// the VM bundle"): a control character there is refused, with the name of
// the VM, which is fine.
static void vmconfig_file_name_with_escape_refused(void) {
  struct node n[] = {{"vm0", "a\x1b[2K.elf", ""}, {"vm1", "a.elf", "r\r.img"}};
  CHECK(run(n, 2) == 0);
  CHECK(ncreated == 0);
  CHECK(strstr(printed, "vm vm0: not started: image or initrd") != NULL);
  CHECK(strstr(printed, "vm vm1: not started: image or initrd") != NULL);
  CHECK(!has_control(printed));
}

// Copy-on-write disks (lab 3): the first cow VM of an image lays its
// base region out before its own overlay; later cow VMs of the image
// share that base; other disks are laid out in file order as before, as
// tools/mkbundle.py lays the machine's disk out.
static void vmconfig_cow_layout(void) {
  struct node n[] = {{"a", "k.elf", ""}, {"b", "k.elf", ""}, {"c", "k.elf", ""},
                     {"d", "k.elf", ""}};
  struct disk d[] = {{8, "fs.img", "cow"}, {4, "fs.img", NULL}, {8, "fs.img", "cow"},
                     {8, "other.img", "cow"}};
  disks = d;
  CHECK_EQ(run(n, 4), 4);
  uint64_t mib = 1024 * 1024;
  CHECK(created[0].disk_cow && created[2].disk_cow && created[3].disk_cow);
  CHECK(!created[1].disk_cow);
  CHECK_EQ(created[0].disk_base_offset, 0);
  CHECK_EQ(created[0].disk_offset, 8 * mib);
  CHECK_EQ(created[1].disk_offset, 16 * mib);
  CHECK_EQ(created[2].disk_base_offset, 0);
  CHECK_EQ(created[2].disk_offset, 20 * mib);
  CHECK_EQ(created[3].disk_base_offset, 28 * mib);
  CHECK_EQ(created[3].disk_offset, 36 * mib);
}

// A cow disk of another size than its image's base, one without an image
// and an unknown mode are refused; their regions still take their place.
static void vmconfig_cow_refused_keeps_layout(void) {
  struct node n[] = {{"a", "k.elf", ""}, {"big", "k.elf", ""}, {"noimg", "k.elf", ""},
                     {"odd", "k.elf", ""}, {"e", "k.elf", ""}};
  struct disk d[] = {{8, "fs.img", "cow"}, {16, "fs.img", "cow"}, {8, NULL, "cow"},
                     {8, "fs.img", "sometimes"}, {8, "fs.img", NULL}};
  disks = d;
  CHECK_EQ(run(n, 5), 2);
  CHECK(strstr(printed, "vm big: not started: a cow disk must have the same disk-mib") != NULL);
  CHECK(strstr(printed, "vm noimg: not started: disk-mode = \"cow\" needs a disk-image") != NULL);
  CHECK(strstr(printed, "vm odd: not started: disk-mode is neither") != NULL);
  CHECK_EQ(created[1].disk_offset, (8 + 8 + 16 + 8 + 8) * 1024 * 1024UL);
}

int main(void) {
  TEST_RUN(vmconfig_dtc_names_start);
  TEST_RUN(vmconfig_name_with_escape_refused);
  TEST_RUN(vmconfig_name_with_newline_refused);
  TEST_RUN(vmconfig_root_is_no_vm);
  TEST_RUN(vmconfig_file_name_with_escape_refused);
  TEST_RUN(vmconfig_cow_layout);
  TEST_RUN(vmconfig_cow_refused_keeps_layout);
  return TEST_EXIT();
}
