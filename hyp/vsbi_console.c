// hyp/vsbi_console.c: the guest's console: DBCN (SBI spec ch. 12) and the
// legacy console_putchar / console_getchar (ch. 5).
//
// What a guest writes goes to vm_console_putc, which prints it a line at a
// time with the VM's name in front. DBCN passes its buffer by guest-
// *physical* address; the monitor copies it out of the VM's own memory
// through the pmap, after checking that every byte is the VM's RAM: a
// buffer that points elsewhere gets SBI_ERR_INVALID_PARAM, never a look
// at someone else's memory.
#include "hyp/vm.h"
#include "hyp/vsbi.h"

// At most this many bytes per DBCN write; the guest loops for the rest
// (the spec lets the SBI write fewer bytes than asked, 12.1).
#define DBCN_CHUNK 256

static struct sbiret dbcn_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  uint64_t n = v->x[10];
  uint64_t gpa = v->x[11] | (v->x[12] << 32);   // base_addr_lo, base_addr_hi
  char buf[DBCN_CHUNK];

  switch (fid) {
  case 0:                                        // console_write
    if (n > DBCN_CHUNK)
      n = DBCN_CHUNK;
    if (vm_copy_from_guest(v->vm, buf, gpa, n) < 0) {
      r.error = SBI_ERR_INVALID_PARAM;
      break;
    }
    for (uint64_t i = 0; i < n; i++)
      vm_console_putc(v->vm, buf[i]);
    r.value = (long)n;
    break;
  case 1:                                        // console_read
    // The buffer must be the VM's memory even when there is nothing to
    // read; console input comes with the console keys (not yet), so
    // nothing is ever waiting.
    if (n > 0 && vm_copy_from_guest(v->vm, buf, gpa, 1) < 0) {
      r.error = SBI_ERR_INVALID_PARAM;
      break;
    }
    r.value = 0;
    break;
  case 2:                                        // console_write_byte
    vm_console_putc(v->vm, (char)v->x[10]);
    break;
  default:
    r.error = SBI_ERR_NOT_SUPPORTED;
    break;
  }
  return r;
}
const struct vsbi_ext vsbi_dbcn = {SBI_EXT_DBCN, SBI_EXT_DBCN, "dbcn",
                                   dbcn_call};

// Legacy putchar (0x01) and getchar (0x02): the result is in a0 only.
static struct sbiret legacy_console_call(struct vcpu *v, uint64_t eid,
                                         uint64_t fid) {
  struct sbiret r = {0, 0};
  if (eid == SBI_EXT_LEGACY_PUTCHAR)
    vm_console_putc(v->vm, (char)v->x[10]);
  else
    r.error = -1;                                // no input waiting
  return r;
}
const struct vsbi_ext vsbi_legacy_console = {
    SBI_EXT_LEGACY_PUTCHAR, SBI_EXT_LEGACY_GETCHAR, "legacy-console",
    legacy_console_call};
