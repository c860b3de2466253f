// hyp/dev/virtq_chain.c: follow and check a request's descriptor chain (see
// hyp/dev/virtq_chain.h).
#include "hyp/mem/pmap.h"
#include "hyp/dev/virtio.h"
#include "hyp/dev/virtq_chain.h"
#include "hyp/vm/vm.h"

int chain_read(const struct virtq_desc *table, uint32_t queue_num,
               uint16_t head, struct chain *c) {
  c->n = 0;
  c->out_len = c->in_len = 0;
  if (queue_num > CHAIN_MAX)
    return -1;                  // the device never lets the driver do that
  uint16_t i = head;
  for (;;) {
    if (i >= queue_num || c->n == (int)queue_num)
      return -1;
    struct virtq_desc d = table[i];
    bool w = (d.flags & VIRTQ_DESC_F_WRITE) != 0;
    if ((d.flags & VIRTQ_DESC_F_INDIRECT) ||
        (!w && c->n > 0 && c->seg[c->n - 1].write))
      return -1;
    c->seg[c->n++] = (struct seg){d.addr, d.len, w};
    if (w)
      c->in_len += d.len;
    else
      c->out_len += d.len;
    if ((d.flags & VIRTQ_DESC_F_NEXT) == 0)
      return c->in_len <= UINT32_MAX ? 0 : -1;   // used.len is 32 bits
    i = d.next;
  }
}

// RAM is one range, so a buffer whose first and last bytes are in it is
// all in it (the second test also catches addr + len wrapping around).
bool chain_in_ram(struct vm *vm, const struct chain *c) {
  for (int i = 0; i < c->n; i++) {
    uint64_t a = c->seg[i].addr, len = c->seg[i].len;
    if (len > 0 && (!pmap_is_ram(&vm->pmap, a) || a + len - 1 < a ||
                    !pmap_is_ram(&vm->pmap, a + len - 1)))
      return false;
  }
  return true;
}

int chain_copy(struct vm *vm, const struct chain *c, bool to_guest,
               uint64_t off, void *buf, uint64_t n) {
  uint8_t *p = buf;
  for (int i = 0; i < c->n && n > 0; i++) {
    const struct seg *s = &c->seg[i];
    if (s->write != to_guest)
      continue;
    if (off >= s->len) {
      off -= s->len;
      continue;
    }
    uint64_t k = s->len - off < n ? s->len - off : n;
    int r = to_guest ? vm_copy_to_guest(vm, s->addr + off, p, k)
                     : vm_copy_from_guest(vm, p, s->addr + off, k);
    if (r < 0)
      return -1;
    p += k, n -= k, off = 0;
  }
  return n == 0 ? 0 : -1;
}
