// tests/guests/rt.c: the test guests' runtime (see tests/guests/guest.h).
#include "kernel/console.h"
#include "kernel/fdt.h"
#include "kernel/string.h"
#include "tests/guests/guest.h"

volatile uint64_t timer_irqs[8], soft_irqs[8];
int checks_failed;
const void *guest_dtb;

extern char _secondary[];

// A guest that uses the PLIC defines this; the others never enable
// external interrupts, so this default never runs.
__attribute__((weak)) void guest_external_irq(void) {
  printf("guest: external interrupt, but no handler\n");
  finish("guest");
}

// A guest that expects exceptions of its own defines this; the default
// takes none, and an exception stops the guest as unexpected.
__attribute__((weak)) bool guest_exception(uint64_t scause, uint64_t *sepc,
                                           uint64_t stval) {
  return false;
}

// The boot vCPU: console first, then the guest.
void guest_boot(uint64_t hartid, const void *dtb) {
  console_init();
  guest_dtb = dtb;
  guest_main(hartid, dtb);
  finish("guest");
}

void guest_secondary(uint64_t hartid, uint64_t opaque) {
  guest_hart(hartid, opaque);
  sbi_hart_stop();
}

long start_hart(uint64_t hart, uint64_t opaque) {
  return sbi_hart_start(hart, (uint64_t)_secondary, opaque).error;
}

void irqs_on(void) {
  csr_set(sie, (1UL << IRQ_S_SOFT) | (1UL << IRQ_S_TIMER));
  csr_set(sstatus, SSTATUS_SIE);
}

void irqs_off(void) { csr_clear(sstatus, SSTATUS_SIE); }

// Called from guest_trapvec; returns where to resume.
uint64_t guest_trap(uint64_t scause, uint64_t sepc, uint64_t stval) {
  uint64_t h = hart_id();
  if (scause == (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
    timer_irqs[h]++;
    sbi_set_timer(~0UL);                  // clears the pending timer
    return sepc;
  }
  if (scause == (SCAUSE_INTERRUPT | IRQ_S_SOFT)) {
    soft_irqs[h]++;
    csr_clear(sip, 1UL << IRQ_S_SOFT);    // acknowledge the IPI
    return sepc;
  }
  if (scause == (SCAUSE_INTERRUPT | IRQ_S_EXT)) {
    guest_external_irq();
    return sepc;
  }
  if (guest_exception(scause, &sepc, stval))
    return sepc;
  printf("guest: unexpected trap scause %lx sepc %lx stval %lx\n", scause,
         sepc, stval);
  finish("guest");
}

void check(const char *name, bool ok, long got) {
  if (ok) {
    printf("check %s: ok\n", name);
  } else {
    printf("check %s: FAILED (got %ld)\n", name, got);
    checks_failed++;
  }
}

void finish(const char *who) {
  printf("%s: done, %d failed\n", who, checks_failed);
  sbi_system_reset(SBI_RESET_SHUTDOWN, checks_failed ? SBI_RESET_REASON_FAILURE
                                                     : SBI_RESET_REASON_NONE);
  for (;;)
    wfi();
}

// /chosen/bootargs as a string, or "" (the tree is the monitor's, or
// QEMU's: trusted to be well formed, but read through the checked reader).
static const char *bootargs(void) {
  struct fdt fdt;
  const void *val;
  int len;
  if (guest_dtb == NULL || fdt_init(&fdt, guest_dtb, 64 * 1024) < 0)
    return "";
  int n = fdt_path(&fdt, "/chosen");
  if (n < 0 || fdt_getprop(&fdt, n, "bootargs", &val, &len) < 0 || len < 1 ||
      ((const char *)val)[len - 1] != 0)
    return "";
  return val;
}

// Where the word `key` (followed by '=', ' ' or the end) starts in the
// boot arguments, or NULL.
static const char *find_word(const char *key) {
  size_t k = strlen(key);
  for (const char *s = bootargs(); *s; s++) {
    if ((s == bootargs() || s[-1] == ' ') && strncmp(s, key, k) == 0 &&
        (s[k] == 0 || s[k] == ' ' || s[k] == '='))
      return s;
  }
  return NULL;
}

bool bootarg_has(const char *word) { return find_word(word) != NULL; }

bool bootarg_str(const char *key, char *buf, int n) {
  const char *s = find_word(key);
  if (s == NULL || s[strlen(key)] != '=')
    return false;
  s += strlen(key) + 1;
  int i = 0;
  while (i < n - 1 && s[i] && s[i] != ' ') {
    buf[i] = s[i];
    i++;
  }
  buf[i] = 0;
  return true;
}

uint64_t bootarg_num(const char *key, uint64_t dflt) {
  char buf[24];
  if (!bootarg_str(key, buf, sizeof(buf)) || buf[0] == 0)
    return dflt;
  const char *s = buf;
  uint64_t base = 10, v = 0;
  if (s[0] == '0' && s[1] == 'x') {
    base = 16;
    s += 2;
  }
  for (; *s; s++) {
    int d = *s >= '0' && *s <= '9'   ? *s - '0'
            : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                                     : 99;
    if (d >= (int)base)
      return dflt;
    v = v * base + (uint64_t)d;
  }
  return v;
}
