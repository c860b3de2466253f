// kernel/sbi.c: the SBI client calls declared in kernel/sbi.h.
//
// Each function is one ecall; see kernel/sbi.h for the calling convention
// and the SBI spec (v2.0) chapter named next to each group.
#include "kernel/sbi.h"

// The one ecall. The register variables pin each value to the register
// the calling convention names; "memory" tells gcc the firmware may read
// memory we wrote (the DBCN buffer, for instance).
struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
  register uint64_t r_a0 asm("a0") = a0;
  register uint64_t r_a1 asm("a1") = a1;
  register uint64_t r_a2 asm("a2") = a2;
  register uint64_t r_a3 asm("a3") = a3;
  register uint64_t r_a4 asm("a4") = a4;
  register uint64_t r_a5 asm("a5") = a5;
  register uint64_t r_a6 asm("a6") = fid;
  register uint64_t r_a7 asm("a7") = ext;
  asm volatile("ecall"
               : "+r"(r_a0), "+r"(r_a1)
               : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a6),
                 "r"(r_a7)
               : "memory");
  struct sbiret ret = {.error = (long)r_a0, .value = (long)r_a1};
  return ret;
}

// Short forms for calls with fewer arguments.
static struct sbiret call0(uint64_t ext, uint64_t fid) {
  return sbi_call(ext, fid, 0, 0, 0, 0, 0, 0);
}
static struct sbiret call1(uint64_t ext, uint64_t fid, uint64_t a0) {
  return sbi_call(ext, fid, a0, 0, 0, 0, 0, 0);
}

// ---- BASE, chapter 4 ----
// The base extension is always there (spec 4: its functions "must be
// supported by all SBI implementations").
long sbi_spec_version(void) {
  return call0(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION).value;
}
long sbi_impl_id(void) {
  return call0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID).value;
}
long sbi_impl_version(void) {
  return call0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION).value;
}

// probe_extension returns 0 for "absent" and non-zero for "present".
bool sbi_probe(uint64_t ext) {
  struct sbiret r = call1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, ext);
  return r.error == SBI_SUCCESS && r.value != 0;
}

// ---- TIME, chapter 6 ----
// Probed once. A value of 0 means "not yet probed", 1 yes, 2 no. A race
// between two harts doing the first probe is harmless: both get the same
// answer.
static int time_ext;

void sbi_set_timer(uint64_t stime_value) {
  if (time_ext == 0)
    time_ext = sbi_probe(SBI_EXT_TIME) ? 1 : 2;
  if (time_ext == 1)
    call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, stime_value);
  else
    call1(SBI_EXT_LEGACY_SET_TIMER, 0, stime_value);   // spec 5.1
}

// ---- IPI, chapter 7 ----
struct sbiret sbi_send_ipi(uint64_t hart_mask, uint64_t hart_mask_base) {
  return sbi_call(SBI_EXT_IPI, SBI_IPI_SEND_IPI, hart_mask, hart_mask_base, 0, 0, 0, 0);
}

// ---- RFENCE, chapter 8 ----
struct sbiret sbi_remote_fence_i(uint64_t mask, uint64_t base) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, mask, base, 0, 0, 0, 0);
}
struct sbiret sbi_remote_sfence_vma(uint64_t mask, uint64_t base,
                                    uint64_t start, uint64_t size) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, mask, base, start, size, 0, 0);
}
struct sbiret sbi_remote_sfence_vma_asid(uint64_t mask, uint64_t base,
                                         uint64_t start, uint64_t size,
                                         uint64_t asid) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, mask, base, start, size, asid, 0);
}
struct sbiret sbi_remote_hfence_gvma_vmid(uint64_t mask, uint64_t base,
                                          uint64_t start, uint64_t size,
                                          uint64_t vmid) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA_VMID, mask, base, start, size, vmid, 0);
}
struct sbiret sbi_remote_hfence_gvma(uint64_t mask, uint64_t base,
                                     uint64_t start, uint64_t size) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA, mask, base, start, size, 0, 0);
}
struct sbiret sbi_remote_hfence_vvma_asid(uint64_t mask, uint64_t base,
                                          uint64_t start, uint64_t size,
                                          uint64_t asid) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_VVMA_ASID, mask, base, start, size, asid, 0);
}
struct sbiret sbi_remote_hfence_vvma(uint64_t mask, uint64_t base,
                                     uint64_t start, uint64_t size) {
  return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_VVMA, mask, base, start, size, 0, 0);
}

// ---- HSM, chapter 9 ----
struct sbiret sbi_hart_start(uint64_t hartid, uint64_t start, uint64_t opaque) {
  return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start, opaque, 0, 0, 0);
}
struct sbiret sbi_hart_stop(void) { return call0(SBI_EXT_HSM, SBI_HSM_HART_STOP); }
struct sbiret sbi_hart_get_status(uint64_t hartid) {
  return call1(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid);
}
struct sbiret sbi_hart_suspend(uint32_t type, uint64_t resume_addr,
                               uint64_t opaque) {
  return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, type, resume_addr, opaque, 0, 0, 0);
}

// ---- SRST, chapter 10 ----
// If SRST is missing or refuses, try the legacy shutdown (spec 5.9); if
// even that returns, there is nothing left to do but wait forever.
void sbi_system_reset(uint32_t type, uint32_t reason) {
  sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, type, reason, 0, 0, 0, 0);
  call0(SBI_EXT_LEGACY_SHUTDOWN, 0);
  for (;;)
    asm volatile("wfi");
}

// ---- DBCN, chapter 12, and the legacy console ----
// 0 = not probed (use legacy), 1 = DBCN present, 2 = absent. Set once by
// sbi_console_init on the boot hart, before any other hart runs; read-only
// after.
static int dbcn;

void sbi_console_init(void) { dbcn = sbi_probe(SBI_EXT_DBCN) ? 1 : 2; }

// One byte per ecall: DBCN console_write_byte (spec 12.3) when the
// firmware has DBCN, else the legacy console_putchar (spec 5.2).
void sbi_console_putc(char c) {
  if (dbcn == 1)
    call1(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, (uint8_t)c);
  else
    call1(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c);
}

// DBCN console_write (spec 12.1) takes a *physical* address (num_bytes,
// base_lo, base_hi), so the caller's buffer must be identity-mapped (it
// is, in the monitor and in guest kernels that map themselves 1:1). It may
// write fewer bytes than asked: loop until all are out.
void sbi_console_write(const char *s, size_t n) {
  if (dbcn != 1) {
    for (size_t i = 0; i < n; i++)
      sbi_console_putc(s[i]);
    return;
  }
  while (n > 0) {
    struct sbiret r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, n, (uint64_t)s, 0, 0, 0, 0);
    if (r.error != SBI_SUCCESS || r.value <= 0)
      return;                         // console broken: drop the rest
    s += r.value;
    n -= (size_t)r.value;
  }
}

// DBCN console_read (spec 12.2) needs a buffer; one byte at a time is all
// a console needs. The legacy console_getchar (spec 5.3) returns the byte
// in a0, or -1.
int sbi_console_getc(void) {
  if (dbcn == 1) {
    volatile char c = 0;
    struct sbiret r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_READ, 1, (uint64_t)&c, 0, 0, 0, 0);
    if (r.error != SBI_SUCCESS || r.value != 1)
      return -1;
    return (uint8_t)c;
  }
  struct sbiret r = call0(SBI_EXT_LEGACY_GETCHAR, 0);
  return r.error < 0 ? -1 : (int)(r.error & 0xff);
}

const char *sbi_strerror(long err) {
  switch (err) {
  case SBI_SUCCESS: return "success";
  case SBI_ERR_FAILED: return "failed";
  case SBI_ERR_NOT_SUPPORTED: return "not supported";
  case SBI_ERR_INVALID_PARAM: return "invalid parameter";
  case SBI_ERR_DENIED: return "denied";
  case SBI_ERR_INVALID_ADDRESS: return "invalid address";
  case SBI_ERR_ALREADY_AVAILABLE: return "already available";
  case SBI_ERR_ALREADY_STARTED: return "already started";
  case SBI_ERR_ALREADY_STOPPED: return "already stopped";
  case SBI_ERR_NO_SHMEM: return "no shared memory";
  default: return "unknown SBI error";
  }
}
