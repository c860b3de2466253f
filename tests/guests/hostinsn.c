// tests/guests/hostinsn.c: a hostile guest that runs instructions a guest
// kernel may not (tests/system/test_hostile.py).
//
// Hypervisor instructions (hfence.*, hlv/hsv/hlvx), hypervisor and
// VS-level CSRs (hstatus, hgatp, hvip, vsstatus, ...), machine-mode CSRs
// and mret, dret, custom and reserved opcodes, the all-zero and all-one
// encodings, writes to read-only CSRs. A guest is an S-mode kernel that
// believes there is no hypervisor: every one of these must reach it as
// an illegal-instruction exception, exactly as on a machine without the
// H extension (the monitor turns the virtual-instruction exceptions it
// gets into that, hyp/cpu/vtrap.c), and the guest goes on. One check
// line each; "hostinsn: done, 0 failed".
#include "kernel/string.h"
#include "tests/guests/guest.h"

static volatile int traps;
static volatile uint64_t last_cause, last_tval;

// Take the illegal-instruction (and breakpoint) exceptions we cause:
// count them, and step over the instruction (2 or 4 bytes).
bool guest_exception(uint64_t scause, uint64_t *sepc, uint64_t stval) {
  if (scause != EXC_ILLEGAL_INST && scause != EXC_BREAKPOINT)
    return false;
  traps++;
  last_cause = scause;
  last_tval = stval;
  uint16_t lo = *(volatile uint16_t *)*sepc;
  *sepc += (lo & 3) == 3 ? 4 : 2;
  return true;
}

// Run one instruction (asm text) and check that it trapped once with cause.
#define TRY(name, cause, insn)                                               \
  do {                                                                       \
    traps = 0;                                                               \
    last_cause = 99;                                                         \
    asm volatile(".option push\n.option arch, +h\n" insn "\n.option pop"     \
                 ::: "memory", "a0", "a1");                                  \
    check(name, traps == 1 && last_cause == (cause), (long)last_cause);      \
  } while (0)

#define ILLEGAL(name, insn) TRY(name, EXC_ILLEGAL_INST, insn)

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  static uint64_t cell = 0x1234;
  asm volatile("mv a1, %0" :: "r"(&cell) : "a1");
  // The H extension's own instructions (privileged spec 8.3: from VS-mode
  // they raise a virtual-instruction exception, which the monitor must
  // turn into an illegal instruction, as a machine without H would).
  ILLEGAL("hfence.vvma", "hfence.vvma zero, zero");
  ILLEGAL("hfence.gvma", "hfence.gvma zero, zero");
  ILLEGAL("hlv.d", "la a1, %=f\nhlv.d a0, (a1)\n%=:");
  ILLEGAL("hlvx.hu", "la a1, %=f\nhlvx.hu a0, (a1)\n%=:");
  ILLEGAL("hsv.d", "la a1, %=f\nhsv.d zero, (a1)\n%=:");
  // Hypervisor and VS CSRs (8.2): also virtual-instruction exceptions.
  ILLEGAL("csrr-hstatus", "csrr a0, 0x600");
  ILLEGAL("csrw-hgatp", "csrw 0x680, zero");
  ILLEGAL("csrs-hvip", "li a0, -1\ncsrs 0x645, a0");
  ILLEGAL("csrw-hedeleg", "csrw 0x602, zero");
  ILLEGAL("csrr-vsstatus", "csrr a0, 0x200");
  ILLEGAL("csrw-vsatp", "csrw 0x280, zero");
  ILLEGAL("csrr-htval", "csrr a0, 0x643");
  ILLEGAL("csrw-hgeie", "li a0, -1\ncsrw 0x607, a0");
  // Machine-mode CSRs and instructions: illegal from any lower mode.
  ILLEGAL("csrr-mstatus", "csrr a0, mstatus");
  ILLEGAL("csrw-mtvec", "csrw mtvec, zero");
  ILLEGAL("csrr-mhartid", "csrr a0, mhartid");
  ILLEGAL("csrs-mip", "li a0, -1\ncsrs mip, a0");
  ILLEGAL("csrw-pmpcfg0", "csrw pmpcfg0, zero");
  ILLEGAL("mret", "mret");
  ILLEGAL("dret", ".word 0x7b200073");
  // Read-only CSRs written; opcodes nobody defined.
  ILLEGAL("csrw-time", "csrw time, zero");
  ILLEGAL("csrw-cycle", "csrw cycle, zero");
  ILLEGAL("zero-half", ".2byte 0");                 // 16 bits of 0: illegal
  ILLEGAL("ones-word", ".word 0xffffffff");
  ILLEGAL("custom-0", ".word 0x0000000b");
  ILLEGAL("reserved-system", ".word 0xfff00073");
  // A breakpoint: the guest's own (delegated), cause 3.
  TRY("ebreak", EXC_BREAKPOINT, "ebreak");
  // What the guest may do, and must still work after all that.
  uint64_t t = csr_read(time);
  check("time-still-reads", t != 0, 0);
  check("cell-untouched", cell == 0x1234, (long)cell);
  finish("hostinsn");
}
