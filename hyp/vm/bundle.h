// hyp/vm/bundle.h: the VM bundle: the VM configuration and the guest images,
// in one file that QEMU loads as the "initrd".
//
// The monitor has no file system and no disk driver of its own at boot,
// so everything the VMs need comes in one blob, made on the host by
// tools/mkbundle.py and handed over with QEMU's -initrd: QEMU puts it in
// RAM and writes where in /chosen (linux,initrd-start and -end). Layout
// (little-endian):
//
//   0    magic "DISCOVB1"
//   8    u32 number of entries, u32 zero
//   16   entries: { char name[48]; u64 offset; u64 size; }  (64 bytes each)
//   ...  the files, each at its offset (4 KiB-aligned)
//
// The entry "config.dtb" is the VM configuration (hyp/vm/vmconfig.c).
#ifndef HYP_BUNDLE_H
#define HYP_BUNDLE_H

#include "kernel/types.h"

// Find and check the bundle in [base, base + size). Returns 0, or -1
// (with a message) when it is not a well-formed bundle.
int bundle_init(uint64_t base, uint64_t size);

// The file called `name` in the bundle, and its size; NULL if none.
const void *bundle_find(const char *name, uint64_t *size);

#endif
