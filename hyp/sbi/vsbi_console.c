// hyp/sbi/vsbi_console.c: the guest's console: DBCN (SBI spec ch. 12) and the
// legacy console_putchar / console_getchar (ch. 5).
//
// What a guest writes goes to vconsole_putc (hyp/dev/vconsole.c), which prints
// it with the VM's name in front of each line. DBCN passes its buffer by guest-
// *physical* address; the monitor copies it out of the VM's own memory
// through the pmap, after checking that every byte is the VM's RAM: a
// buffer that points elsewhere gets SBI_ERR_INVALID_PARAM, never a look
// at someone else's memory.
#include "hyp/dev/mmio.h"
#include "hyp/dev/vconsole.h"
#include "hyp/vm/vm.h"
#include "hyp/sbi/vsbi.h"

// At most this many bytes per DBCN write; the guest loops for the rest
// (the spec lets the SBI write fewer bytes than asked, 12.1).
#define DBCN_CHUNK 256

// Up to n keys typed for this VM, out of its UART's receive buffer, via
// the UART's own data register (so the UART's state stays consistent).
static uint64_t take_keys(struct vm *vm, char *buf, uint64_t n) {
  uint64_t got = 0;
  acquire(&vm->dev_lock);
  while (got < n && vm->uart.rx_count > 0) {
    uint64_t c;
    vuart_read(vm, 0, 1, &c);
    buf[got++] = (char)c;
  }
  mmio_irq_changed(vm);
  release(&vm->dev_lock);
  return got;
}

static struct sbiret dbcn_call(struct vcpu *v, uint64_t eid, uint64_t fid) {
  struct sbiret r = {SBI_SUCCESS, 0};
  uint64_t n = v->x[10];
  // base_addr_lo and base_addr_hi are the lower and the upper XLEN bits
  // of the address (spec 12.1): on RV64, hi is bits 64..127, so any bit
  // set there names an address no VM has.
  uint64_t gpa = v->x[11];
  bool above_2_64 = v->x[12] != 0;
  char buf[DBCN_CHUNK];

  if ((fid == SBI_DBCN_WRITE || fid == SBI_DBCN_READ) && above_2_64) {
    r.error = SBI_ERR_INVALID_PARAM;
    return r;
  }
  switch (fid) {
  case SBI_DBCN_WRITE:
    if (n > DBCN_CHUNK)
      n = DBCN_CHUNK;
    if (vm_copy_from_guest(v->vm, buf, gpa, n) < 0) {
      r.error = SBI_ERR_INVALID_PARAM;
      break;
    }
    for (uint64_t i = 0; i < n; i++)
      vconsole_putc(v->vm, buf[i]);
    r.value = (long)n;
    break;
  case SBI_DBCN_READ:
    // Keys typed for this VM wait in its UART's receive buffer
    // (hyp/dev/conskeys.c); the SBI console reads the same buffer.
    if (n > DBCN_CHUNK)
      n = DBCN_CHUNK;
    if (n > 0 && vm_copy_from_guest(v->vm, buf, gpa, n) < 0) {
      r.error = SBI_ERR_INVALID_PARAM;
      break;
    }
    r.value = (long)take_keys(v->vm, buf, n);
    if (r.value > 0)
      vm_copy_to_guest(v->vm, gpa, buf, (uint64_t)r.value);
    break;
  case SBI_DBCN_WRITE_BYTE:                      // a uint8: the low byte
    vconsole_putc(v->vm, (char)v->x[10]);        // of a0
    break;
  default:
    r.error = SBI_ERR_NOT_SUPPORTED;
    break;
  }
  return r;
}
const struct vsbi_ext vsbi_dbcn = {SBI_EXT_DBCN, SBI_EXT_DBCN, "dbcn",
                                   dbcn_call};

// Legacy putchar (0x01) and getchar (0x02): the result is in a0 only,
// -1 when no key is waiting.
static struct sbiret legacy_console_call(struct vcpu *v, uint64_t eid,
                                         uint64_t fid) {
  struct sbiret r = {0, 0};
  char c;
  if (eid == SBI_EXT_LEGACY_PUTCHAR)
    vconsole_putc(v->vm, (char)v->x[10]);
  else
    r.error = take_keys(v->vm, &c, 1) == 1 ? (uint8_t)c : -1;
  return r;
}
const struct vsbi_ext vsbi_legacy_console = {
    SBI_EXT_LEGACY_PUTCHAR, SBI_EXT_LEGACY_GETCHAR, "legacy-console",
    legacy_console_call};
