// kernel/fdt.h: a reader for flattened device trees (FDT, "DTB").
//
// Firmware (OpenSBI, or the monitor when it plays firmware for a guest)
// describes the machine in a device tree and passes its address in a1.
// The format is in the Devicetree Specification v0.4, chapter 5
// ("Flattened Devicetree (DTB) Format"); the meaning of the properties we
// read (reg, #address-cells, numa-node-id, distance-map) is in chapters 2
// and 3 of the same spec and in Linux's Documentation/devicetree/bindings/
// numa.txt.
//
// A blob is untrusted input: a truncated or corrupted blob must produce an
// error code, never a read outside the blob. Every function here checks
// every offset it follows against the sizes in the header.
//
// Nodes are named by their offset inside the structure block (an int >= 0),
// as libfdt does; a negative int is one of the FDT_ERR_* codes below.
#ifndef KERNEL_FDT_H
#define KERNEL_FDT_H

#include "kernel/types.h"

// Error codes (all negative, so they can share an int with node offsets).
#define FDT_ERR_NOTFOUND   (-1)  // no such node or property
#define FDT_ERR_BADMAGIC   (-2)  // header magic is not 0xd00dfeed
#define FDT_ERR_BADVERSION (-3)  // not version 16/17 compatible
#define FDT_ERR_TRUNCATED  (-4)  // something runs past the end of the blob
#define FDT_ERR_BADSTRUCT  (-5)  // bad token, unbalanced nodes, bad name...
#define FDT_ERR_BADVALUE   (-6)  // property has the wrong length or content
#define FDT_ERR_NOSPACE    (-7)  // caller's buffer/table is too small

// A checked view of one blob. Fill it with fdt_init(); the rest of the
// functions only read it.
struct fdt {
  const uint8_t *blob;      // start of the blob (the header)
  uint32_t size;            // totalsize from the header, checked <= limit
  uint32_t struct_off;      // structure block: offset and size in the blob
  uint32_t struct_size;
  uint32_t strings_off;     // strings block: offset and size in the blob
  uint32_t strings_size;
  uint32_t rsvmap_off;      // memory reservation block (/memreserve/)
};

// Check the header of the blob at `blob` and fill in *fdt.
// `limit` is how many bytes the caller knows are readable there: a host
// test passes the file size; the monitor, which cannot know, passes an
// upper bound (e.g. 1 MiB). Returns 0 or an FDT_ERR_* code.
int fdt_init(struct fdt *fdt, const void *blob, size_t limit);

// Walk the tree. fdt_root() is the offset of "/". fdt_next_node() returns
// the node after `node` in depth-first order and adjusts *depth (+1 when it
// goes into a child, -n when it comes back up), or FDT_ERR_NOTFOUND at the
// end. fdt_first_child()/fdt_next_sibling() walk one level.
int fdt_root(const struct fdt *fdt);
int fdt_next_node(const struct fdt *fdt, int node, int *depth);
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);

// The node's name including its unit address ("cpu@0"); "" for the root.
// NULL if `node` is not a valid node offset.
const char *fdt_node_name(const struct fdt *fdt, int node);

// The parent of `node` (found by walking from the root), or an error.
int fdt_parent(const struct fdt *fdt, int node);

// Find a property of `node`. On success returns 0, sets *val to its bytes
// (inside the blob, big-endian as stored) and *len to its length.
int fdt_getprop(const struct fdt *fdt, int node, const char *name,
                const void **val, int *len);

// Read a property that holds one 32-bit cell. 0 or an error code.
int fdt_getprop_u32(const struct fdt *fdt, int node, const char *name,
                    uint32_t *out);

// Copy string property `name` of `node` into buf (size bytes), cut short
// if it does not fit, and always NUL-terminated. Returns 0, or an error
// code (buf then holds ""). For /chosen/bootargs and the like, which a
// program wants to keep after the tree's memory is reused.
int fdt_getprop_string(const struct fdt *fdt, int node, const char *name,
                       char *buf, size_t size);

// Find a node by its full path, e.g. "/cpus" or "/soc/serial@10000000".
// A component without "@unit" also matches a node that has one ("/soc/plic"
// finds "/soc/plic@c000000"), as the spec allows.
int fdt_path(const struct fdt *fdt, const char *path);

// The first node after `from` (or from the start, if from < 0) whose
// "compatible" string list contains `compat`.
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);

// True if the string-list property `name` of `node` contains `str`.
bool fdt_prop_has_string(const struct fdt *fdt, int node, const char *name,
                         const char *str);

// Read entry `index` of the node's "reg" property, using the
// #address-cells and #size-cells of its parent (defaults 2 and 1, spec
// 2.3.5). Sets *addr and *size (size 0 when #size-cells is 0).
// Returns 0, FDT_ERR_NOTFOUND when there is no such entry, or an error.
int fdt_reg(const struct fdt *fdt, int node, int index,
            uint64_t *addr, uint64_t *size);

// The node's "numa-node-id", or -1 when it has none (a machine without
// NUMA information is one node, node 0).
int fdt_numa_node(const struct fdt *fdt, int node);

// Read /distance-map (compatible "numa-distance-map-v1") into
// dist[from * maxnodes + to]. Entries it does not give are left alone, so
// the caller should first fill the table with defaults (10 on the diagonal,
// 20 elsewhere, as the binding says). A node id >= maxnodes is
// FDT_ERR_BADVALUE. Returns 0, FDT_ERR_NOTFOUND (no distance map: keep the
// defaults), or an error code.
int fdt_distance_map(const struct fdt *fdt, uint32_t *dist, int maxnodes);

// Entry `index` of the memory reservation block (/memreserve/ entries,
// spec 5.3). 0, FDT_ERR_NOTFOUND after the last one, or an error.
int fdt_memreserve(const struct fdt *fdt, int index,
                   uint64_t *addr, uint64_t *size);

// A short English description of an FDT_ERR_* code, for messages.
const char *fdt_strerror(int err);

#endif
