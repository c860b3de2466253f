// kernel/dt_machine.c: the device-tree walks every image shares (see
// kernel/dt_machine.h).
#include "kernel/dt_machine.h"
#include "kernel/string.h"

const char *dt_strerror(int err) {
  switch (err) {
  case DT_ERR_NO_CPUS: return "no /cpus node";
  case DT_ERR_CPU_NOREG: return "cpu node without reg";
  default: return fdt_strerror(err);
  }
}

int dt_node_of(const struct fdt *fdt, int node) {
  int n = fdt_numa_node(fdt, node);
  return n < 0 ? 0 : n;
}

int dt_timebase(const struct fdt *fdt, uint64_t *hz) {
  int cpus = fdt_path(fdt, "/cpus");
  if (cpus < 0)
    return DT_ERR_NO_CPUS;
  uint32_t tb;
  int err = fdt_getprop_u32(fdt, cpus, "timebase-frequency", &tb);
  if (err < 0)
    return err;
  if (tb == 0)
    return FDT_ERR_NOTFOUND;         // a timebase of 0 Hz is no timebase
  *hz = tb;
  return 0;
}

// Is node c of /cpus a hart firmware starts?
static bool usable_cpu(const struct fdt *fdt, int c) {
  // /cpus also holds cpu-map, which is no cpu (spec 3.8: device_type).
  return fdt_prop_has_string(fdt, c, "device_type", "cpu") &&
         !fdt_prop_has_string(fdt, c, "status", "disabled");
}

int dt_next_hart(const struct fdt *fdt, struct dt_hart *h) {
  int c;
  if (h->node_off < 0) {
    int cpus = fdt_path(fdt, "/cpus");
    if (cpus < 0)
      return DT_ERR_NO_CPUS;
    c = fdt_first_child(fdt, cpus);
  } else {
    c = fdt_next_sibling(fdt, h->node_off);
  }
  while (c >= 0 && !usable_cpu(fdt, c))
    c = fdt_next_sibling(fdt, c);
  if (c < 0)
    return 0;                        // no more harts
  uint64_t unused;
  if (fdt_reg(fdt, c, 0, &h->id, &unused) != 0)
    return DT_ERR_CPU_NOREG;
  h->node_off = c;
  h->numa = dt_node_of(fdt, c);
  const void *isa;
  if (fdt_getprop(fdt, c, "riscv,isa", &isa, &h->isa_len) == 0) {
    h->isa = isa;
  } else {
    h->isa = NULL;
    h->isa_len = 0;
  }
  return 1;
}

bool dt_isa_has_letter(const char *isa, int len, char c) {
  // "rv64" or "rv32", then the single letters up to the first '_'.
  if (isa == NULL || len < 5 || strncmp(isa, "rv", 2) != 0)
    return false;
  for (int i = 4; i < len && isa[i] != '_' && isa[i] != 0; i++)
    if (isa[i] == c)
      return true;
  return false;
}

bool dt_isa_has_ext(const char *isa, int len, const char *ext) {
  int n = (int)strlen(ext);
  for (int i = 0; isa != NULL && i + 1 + n <= len && isa[i] != 0; i++) {
    if (isa[i] != '_' || strncmp(isa + i + 1, ext, (size_t)n) != 0)
      continue;
    // The name must end there: at an '_', at the string's end, or at the
    // end of the property.
    char after = i + 1 + n < len ? isa[i + 1 + n] : 0;
    if (after == '_' || after == 0)
      return true;
  }
  return false;
}

// Reg entry w->index of tree node w->node into r. 1, or 0 when the node
// has no more entries (w->index then starts over for the next node).
static int next_reg(const struct fdt *fdt, struct dt_walk *w,
                    struct dt_range *r) {
  if (fdt_reg(fdt, w->node, w->index, &r->base, &r->size) != 0) {
    w->index = 0;
    return 0;
  }
  w->index++;
  return 1;
}

int dt_next_memory(const struct fdt *fdt, struct dt_walk *w,
                   struct dt_range *r) {
  if (w->node < 0) {
    w->node = fdt_root(fdt);
    w->depth = 0;
    w->index = 0;
  }
  while (w->node >= 0) {
    if (fdt_prop_has_string(fdt, w->node, "device_type", "memory") &&
        next_reg(fdt, w, r)) {
      r->numa = dt_node_of(fdt, w->node);
      return 1;
    }
    w->node = fdt_next_node(fdt, w->node, &w->depth);
  }
  return 0;
}

int dt_next_reserved(const struct fdt *fdt, struct dt_walk *w,
                     struct dt_range *r) {
  r->numa = -1;
  if (w->phase == DT_RESERVED_HEADER) {
    if (fdt_memreserve(fdt, w->index, &r->base, &r->size) == 0) {
      w->index++;
      return 1;
    }
    w->phase = DT_RESERVED_NODES;
    w->index = 0;
    int rm = fdt_path(fdt, "/reserved-memory");
    w->node = rm < 0 ? rm : fdt_first_child(fdt, rm);
  }
  while (w->phase == DT_RESERVED_NODES && w->node >= 0) {
    if (next_reg(fdt, w, r))
      return 1;
    w->node = fdt_next_sibling(fdt, w->node);
  }
  w->phase = DT_RESERVED_DONE;
  return 0;
}
