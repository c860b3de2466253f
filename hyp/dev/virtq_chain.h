// hyp/dev/virtq_chain.h: one request's descriptor chain, as a virtio device
// in the monitor reads it from a guest's split virtqueue (virtio 1.2,
// 2.7.5 "The Virtqueue Descriptor Table"; the table and rings are drawn
// in hyp/dev/virtio.h).
//
// A guest's driver writes the chain, so everything in it is untrusted: a
// descriptor number may be past the table, the chain may loop, a buffer
// may lie outside the VM's RAM. These functions are the only ones that
// follow a chain; they check every step. chain_read walks a copy of the
// descriptor table the device took (hyp/dev/vvirtio_blk.c); the other two
// touch guest memory only through vm_copy_from_guest / vm_copy_to_guest,
// which refuse any byte outside the VM's RAM. They keep no state and take
// no lock, so the fuzzer (tests/fuzz/fuzz_vchain.c) runs them on the host
// against a fake guest memory.
#ifndef HYP_VIRTQ_CHAIN_H
#define HYP_VIRTQ_CHAIN_H

#include "kernel/types.h"

struct vm;

// The longest chain: a chain never has more descriptors than its queue
// (2.7.5.3.1), and our queues have at most VVIRTIO_QUEUE_MAX.
#define CHAIN_MAX 16   // = VVIRTIO_QUEUE_MAX (hyp/dev/vvirtio_blk.h checks)

// One buffer of a request: a descriptor, as we copied it.
struct seg {
  uint64_t addr;        // guest-physical
  uint32_t len;
  bool write;           // device-writable
};

// A request's chain: its buffers in order, the device-readable ones
// first. Read as two byte streams (the spec's "message framing", 2.7.4:
// the device must not care how the driver cut a request into buffers):
// "out" = the readable buffers one after the other (header, then data for
// a write), "in" = the writable ones (data for a read, then the status,
// the very last byte).
struct chain {
  struct seg seg[CHAIN_MAX];
  int n;
  uint64_t out_len, in_len;
};

// Read into *c the chain that starts at descriptor `head` of `table`,
// the device's own copy of the driver's descriptor table of `queue_num`
// entries (a copy: a driver that changes its table meanwhile, another
// vCPU, cannot make us use something we did not check). Returns 0, or -1
// if the chain is malformed: a descriptor number beyond the queue, more
// descriptors than the queue has (so a loop, 2.7.5.2), an indirect
// descriptor (a feature we do not offer), a readable buffer after a
// writable one (2.7.4.2), a writable part longer than the used ring's
// 32-bit len can say, or queue_num above CHAIN_MAX.
struct virtq_desc;
int chain_read(const struct virtq_desc *table, uint32_t queue_num,
               uint16_t head, struct chain *c);

// Is every buffer of the chain inside the VM's RAM? Empty buffers are
// never touched, so they pass wherever they point.
bool chain_in_ram(struct vm *vm, const struct chain *c);

// Copy n bytes between buf and the chain's in stream (to_guest) or out
// stream (from the guest), starting `off` bytes into the stream. Returns
// 0, or -1 if the stream is shorter or some byte is not in the VM's RAM
// (then some of the bytes before it may have been copied).
int chain_copy(struct vm *vm, const struct chain *c, bool to_guest,
               uint64_t off, void *buf, uint64_t n);

#endif
