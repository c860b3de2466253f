// kernel/fdt_write.h: a writer for flattened device trees (FDT, "DTB").
//
// On a real machine, firmware writes a device tree describing the
// hardware and hands its address to the kernel. The monitor plays
// firmware for each guest, so it writes one tree per guest (its harts,
// its memory, /chosen, the UART, PLIC and virtio-mmio devices, its NUMA
// nodes) into a buffer of its own and copies it into the guest's memory
// (hyp/vm/vm_fdt.c). The format is the one kernel/fdt.h reads:
// Devicetree Specification v0.4, chapter 5.
//
// The calls mirror the tree's text form, top to bottom:
//
//   struct fdt_writer w;
//   fdt_write_begin(&w, buf, size);
//   fdt_write_node_begin(&w, "");                 //  / {
//   fdt_write_prop_u32(&w, "#address-cells", 2);  //    #address-cells = <2>;
//   fdt_write_node_begin(&w, "chosen");           //    chosen {
//   fdt_write_prop_string(&w, "bootargs", "");    //      bootargs = "";
//   fdt_write_node_end(&w);                       //    };
//   fdt_write_node_end(&w);                       //  };
//   n = fdt_write_finish(&w);                     // blob size, or an error
//
// Errors are sticky, as with stdio's ferror(): the first one is kept,
// every later call does nothing, and fdt_write_finish() reports it, so a
// caller checks once at the end instead of after every property.
#ifndef KERNEL_FDT_WRITE_H
#define KERNEL_FDT_WRITE_H

#include "kernel/types.h"

// A tree being written. The buffer is used from both ends while the tree
// grows, and packed together by fdt_write_finish():
//
//   buf + 0      header (written last)
//   buf + 40     reservation entries, then the structure block
//                ... growing up to buf + end
//                free space
//   buf + size - strings_size
//                property names, growing down to here
//   buf + size
//
// Callers only pass a pointer to it around; the fields are the writer's.
struct fdt_writer {
  uint8_t *buf;            // the caller's buffer
  uint32_t size;           // its size (capped, see fdt_write_begin)
  uint32_t struct_off;     // where the structure block starts (0: no node yet)
  uint32_t end;            // end of what is written from the front
  uint32_t strings_size;   // bytes of names at the back of buf
  int depth;               // nodes open now
  bool root_done;          // the root node has been closed
  bool after_child;        // a child of the open node has been closed
  int err;                 // 0, or the first FDT_ERR_* code met
};

// Start a tree in buf[0..size). The writer never writes outside buf;
// when it runs out of room it sets an error that fdt_write_finish
// reports (every call after an error does nothing).
void fdt_write_begin(struct fdt_writer *w, void *buf, size_t size);

// Add a /memreserve/ entry (spec 5.3): memory the guest must leave alone.
// Only before the first node; later it is FDT_ERR_BADSTRUCT.
void fdt_write_memreserve(struct fdt_writer *w, uint64_t addr, uint64_t size);

// Open a node, a child of the node open now. The root is "" and comes
// first; every other node has a name ("cpu@0", "chosen").
void fdt_write_node_begin(struct fdt_writer *w, const char *name);

// Close the node opened last.
void fdt_write_node_end(struct fdt_writer *w);

// Add a property to the node open now, before any of its children
// (spec 5.4.2). `val` is `len` raw bytes, already in big-endian order.
void fdt_write_prop(struct fdt_writer *w, const char *name, const void *val,
                    int len);

// Shorthands for the value types of spec 2.2.4.
void fdt_write_prop_empty(struct fdt_writer *w, const char *name);
void fdt_write_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
void fdt_write_prop_u64(struct fdt_writer *w, const char *name, uint64_t v);
void fdt_write_prop_cells(struct fdt_writer *w, const char *name,
                          const uint32_t *cells, int n);
void fdt_write_prop_string(struct fdt_writer *w, const char *name,
                           const char *s);
void fdt_write_prop_strings(struct fdt_writer *w, const char *name,
                            const char *const *list, int n);

// Finish: check that nesting is balanced, write FDT_END, move the strings
// block next to the structure block and fill in the header. Returns the
// blob's total size (> 0) or a negative FDT_ERR_* code (kernel/fdt.h):
// FDT_ERR_NOSPACE when the buffer was too small; FDT_ERR_BADSTRUCT for
// unbalanced nodes, a property outside any node or after a child node, a
// second root, a named root or an unnamed child, or a memreserve after
// the first node; FDT_ERR_BADVALUE for a negative length or count or a
// {0, 0} reservation. The writer is spent afterwards: later calls do
// nothing, and a second fdt_write_finish() returns FDT_ERR_BADSTRUCT.
int fdt_write_finish(struct fdt_writer *w);

#endif
