// hyp/vm/vmconfig.c: read the VM configuration (see hyp/vm/vmconfig.h).
#include "hyp/vm/bundle.h"
#include "hyp/boot/machine.h"
#include "hyp/vm/vm.h"
#include "hyp/vm/vmconfig.h"
#include "kernel/fdt.h"
#include "kernel/printf.h"
#include "kernel/string.h"

// Copy string property `prop` of node into buf (size n), if it exists and
// fits. Returns 0, 1 if it is absent, -1 if it is not a string that fits.
static int get_string(const struct fdt *fdt, int node, const char *prop,
                      char *buf, int n) {
  const void *val;
  int len;
  if (fdt_getprop(fdt, node, prop, &val, &len) < 0)
    return 1;
  if (len < 1 || len > n || ((const char *)val)[len - 1] != 0)
    return -1;
  memcpy(buf, val, (size_t)len);
  return 0;
}

// May a VM's name hold character c? The characters of a device-tree node
// name, and "@" before its unit address (devicetree spec 2.2.1): the name
// labels every line the VM prints, so it must not hold a control
// character (ESC [ 2K, a newline) that could make a line pass for the
// monitor's own or another VM's.
static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && strchr(",._+-@", c) != NULL);
}

static bool name_chars(const char *name) {
  for (; *name != 0; name++)
    if (!name_char(*name))
      return false;
  return true;
}

// Is s printable text, space to '~'? File names are printed in the
// monitor's messages, so the same reason holds for them.
static bool printable(const char *s) {
  for (; *s != 0; s++)
    if (*s < ' ' || *s > '~')
      return false;
  return true;
}

// The base regions of copy-on-write disks laid out so far: one per
// disk-image (hyp/vm/vmconfig.h).
struct cow_base {
  char image[48];
  uint64_t offset, size;
};

// The disk layout as the file is read: where the next region starts, and
// the cow bases so far.
struct layout {
  uint64_t offset;
  struct cow_base bases[MAX_VMS];
  int nbases;
};

// The base region of disk-image `image`, laid out at the layout's end
// with `size` bytes if this is its first cow VM. NULL if there are more
// images than VMs (a configuration of more VMs than MAX_VMS).
static struct cow_base *cow_base(struct layout *lay, const char *image,
                                 uint64_t size) {
  for (int i = 0; i < lay->nbases; i++)
    if (strcmp(lay->bases[i].image, image) == 0)
      return &lay->bases[i];
  if (lay->nbases == MAX_VMS)
    return NULL;
  struct cow_base *b = &lay->bases[lay->nbases++];
  memcpy(b->image, image, strlen(image) + 1);
  b->offset = lay->offset;
  b->size = size;
  lay->offset += size;
  return b;
}

// The disk region(s) of one VM node, laid out at the end of *lay. Taken
// even if something else about the VM is wrong and it does not start, so
// the regions below stay where the configuration file puts them (and
// where tools/mkbundle.py put the images). Returns NULL or what is wrong.
static const char *read_disk(const struct fdt *fdt, int node,
                             struct layout *lay, struct vm_config *cfg) {
  uint32_t v;
  if (fdt_getprop_u32(fdt, node, "disk-mib", &v) < 0)
    return NULL;
  cfg->disk = (uint64_t)v * MiB;
  char mode[16] = "persistent", image[48] = "";
  if (get_string(fdt, node, "disk-mode", mode, sizeof(mode)) < 0)
    mode[0] = 0;                    // not a short string: refused below
  get_string(fdt, node, "disk-image", image, sizeof(image));
  const char *why = NULL;
  if (strcmp(mode, "cow") == 0) {
    struct cow_base *b = image[0] != 0 ? cow_base(lay, image, cfg->disk) : NULL;
    if (image[0] == 0)
      why = "disk-mode = \"cow\" needs a disk-image (what its base region holds)";
    else if (b == NULL)
      why = "too many cow disk images";
    else if (b->size != cfg->disk)
      why = "a cow disk must have the same disk-mib as the first cow VM of its disk-image";
    else {
      cfg->disk_cow = true;
      cfg->disk_base_offset = b->offset;
    }
  } else if (strcmp(mode, "persistent") != 0) {
    why = "disk-mode is neither \"persistent\" nor \"cow\"";
  }
  cfg->disk_offset = lay->offset;   // its own region (a cow VM's overlay)
  lay->offset += cfg->disk;
  return why;
}

// Fill *cfg from one VM node; its disk regions go at the end of *lay
// (hyp/vm/vmconfig.h: regions in file order). Returns NULL or what is
// wrong.
static const char *read_vm(const struct fdt *fdt, int node, int index,
                           struct layout *lay, struct vm_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  const char *why = read_disk(fdt, node, lay, cfg);
  if (why != NULL)
    return why;
  uint32_t v;
  // The node's name is the VM's name (dtc insists that a "name"
  // property, if any, say the same, so we do not have one).
  const char *name = fdt_node_name(fdt, node);
  if (name[0] == 0)
    return "the node has no name (the VM's name): a VM is a child of the root, not the root";
  if (!name_chars(name))
    return "the node's name (the VM's name) holds a character that is not a letter, a "
           "digit or one of , . _ + - @";
  if (strlen(name) >= sizeof(cfg->name))
    return "the node's name (the VM's name) is longer than 15 characters";
  memcpy(cfg->name, name, strlen(name) + 1);
  cfg->vcpus = fdt_getprop_u32(fdt, node, "vcpus", &v) == 0 ? (int)v : 1;
  if (fdt_getprop_u32(fdt, node, "memory-mib", &v) < 0)
    return "no memory-mib";
  cfg->memory = (uint64_t)v * MiB;
  cfg->home_node = fdt_getprop_u32(fdt, node, "home-node", &v) == 0
                       ? (int)v
                       : index % machine.nnodes;
  const void *empty;
  int len;
  cfg->span = fdt_getprop(fdt, node, "span-nodes", &empty, &len) == 0;
  if (get_string(fdt, node, "image", cfg->image, sizeof(cfg->image)) != 0)
    return "no image (a file name in the VM bundle)";
  if (get_string(fdt, node, "initrd", cfg->initrd, sizeof(cfg->initrd)) < 0)
    return "initrd is not a file name of at most 47 characters";
  if (!printable(cfg->image) || !printable(cfg->initrd))
    return "image or initrd holds a control character (a file name is printable text)";
  if (get_string(fdt, node, "bootargs", cfg->bootargs,
                 sizeof(cfg->bootargs)) < 0)
    return "bootargs is not a string of at most 127 characters";
  char policy[16] = "off";
  if (get_string(fdt, node, "numa-policy", policy, sizeof(policy)) < 0)
    policy[0] = 0;                  // not a short string: refused below
  if (strcmp(policy, "off") == 0)
    cfg->numa_policy = NUMA_OFF;
  else if (strcmp(policy, "migrate") == 0)
    cfg->numa_policy = NUMA_POLICY_MIGRATE;
  else if (strcmp(policy, "replicate") == 0)
    cfg->numa_policy = NUMA_POLICY_REPLICATE;
  else
    return "numa-policy is not \"off\", \"migrate\" or \"replicate\"";
  if (fdt_getprop_u32(fdt, node, "numa-scan-ms", &v) == 0)
    cfg->numa_scan_ms = v;
  if (fdt_getprop_u32(fdt, node, "numa-scan-pages", &v) == 0)
    cfg->numa_scan_pages = v;
  return NULL;
}

// Does a VM node before `node` have the same name? A VM's name labels its
// output and every report about it, so two of one name could not be told
// apart (dtc refuses two siblings of one name, but not two nodes of one
// name under different parents).
static bool name_taken(const struct fdt *fdt, int node) {
  const char *name = fdt_node_name(fdt, node);
  for (int n = fdt_find_compatible(fdt, -1, "disco-v,vm"); n >= 0 && n < node;
       n = fdt_find_compatible(fdt, n, "disco-v,vm"))
    if (strcmp(fdt_node_name(fdt, n), name) == 0)
      return true;
  return false;
}

int vmconfig_start_vms(void) {
  uint64_t size;
  const void *blob = bundle_find("config.dtb", &size);
  struct fdt fdt;
  if (blob == NULL) {
    printf("vmconfig: the bundle has no config.dtb\n");
    return 0;
  }
  int err = fdt_init(&fdt, blob, size);
  if (err < 0) {
    printf("vmconfig: config.dtb: %s\n", fdt_strerror(err));
    return 0;
  }
  uint32_t bits;
  int root = fdt_path(&fdt, "/");
  if (root >= 0 && fdt_getprop_u32(&fdt, root, "vmid-bits", &bits) == 0) {
    if (bits > VMID_MAX_BITS) {
      printf("vmconfig: vmid-bits = %u: must be 0..%d; using all the hardware has\n",
             bits, VMID_MAX_BITS);
      tlb_boot(-1);
    } else {
      tlb_boot((int)bits);
    }
  } else {
    tlb_boot(-1);
  }
  uint32_t ms;
  if (root >= 0 && fdt_getprop_u32(&fdt, root, "memory-report-ms", &ms) == 0 && ms > 0)
    vm_memory_report_every(ms);
  int created = 0, index = 0;
  static struct layout lay;         // (too big for the boot stack)
  memset(&lay, 0, sizeof(lay));
  for (int n = fdt_find_compatible(&fdt, -1, "disco-v,vm"); n >= 0;
       n = fdt_find_compatible(&fdt, n, "disco-v,vm"), index++) {
    struct vm_config cfg;
    const char *why = read_vm(&fdt, n, index, &lay, &cfg);
    if (why == NULL && name_taken(&fdt, n))
      why = "a VM of this name comes earlier in the configuration";
    if (why != NULL) {
      // A name that may not be printed is not: the VM's place in the file says which.
      const char *name = fdt_node_name(&fdt, n);
      if (name[0] != 0 && name_chars(name))
        printf("vm %s: not started: %s\n", name, why);
      else
        printf("vm number %d of the configuration: not started: %s\n", index + 1, why);
      continue;
    }
    if (vm_create(&cfg) != NULL)
      created++;
  }
  return created;
}
