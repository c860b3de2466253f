// tests/guests/uarttest.c: the virtual UART and PLIC, as a driver uses them.
//
// Writes to the ns16550a directly (no SBI), then turns on its "transmitter
// empty" interrupt and takes it the way a kernel does: PLIC priority and
// enable for its context, S-mode external interrupts on, claim, read IIR,
// complete. Finds both devices through its device tree, as on QEMU virt.
#include "kernel/fdt.h"
#include "tests/guests/guest.h"

static volatile uint8_t *uart;
static volatile uint32_t *plic;
static volatile int ext_irqs, claimed_src, iir_seen;

#define CTX 1                       // vCPU 0's S-mode context
#define PLIC_PRIORITY(s)  (plic + (s))
#define PLIC_ENABLE(c)    (plic + (0x2000 + 0x80 * (c)) / 4)
#define PLIC_THRESHOLD(c) (plic + (0x200000 + 0x1000 * (c)) / 4)
#define PLIC_CLAIM(c)     (plic + (0x200004 + 0x1000 * (c)) / 4)

static void uart_putc(char c) {
  while ((uart[5] & 0x20) == 0)     // LSR.THRE
    ;
  uart[0] = (uint8_t)c;
}

// The S external interrupt: claim, handle, complete.
void guest_external_irq(void) {
  uint32_t src = *PLIC_CLAIM(CTX);
  claimed_src = (int)src;
  iir_seen = uart[2];               // reading IIR clears THRE
  uart[1] = 0;                      // and no more of those, please
  *PLIC_CLAIM(CTX) = src;           // complete
  ext_irqs++;
}

void guest_hart(uint64_t hartid, uint64_t opaque) {}

void guest_main(uint64_t hartid, const void *dtb) {
  struct fdt fdt;
  fdt_init(&fdt, dtb, 64 * 1024);
  uint64_t base, size;
  int n = fdt_find_compatible(&fdt, -1, "ns16550a");
  check("dt-uart", n >= 0 && fdt_reg(&fdt, n, 0, &base, &size) == 0, n);
  uart = (volatile uint8_t *)base;
  n = fdt_find_compatible(&fdt, -1, "riscv,plic0");
  check("dt-plic", n >= 0 && fdt_reg(&fdt, n, 0, &base, &size) == 0, n);
  plic = (volatile uint32_t *)base;

  const char *msg = "uart: hello through the ns16550\n";
  for (const char *p = msg; *p; p++)
    uart_putc(*p);
  uart[7] = 0x5a;
  check("uart-scratch", uart[7] == 0x5a, uart[7]);
  check("uart-no-irq", (uart[2] & 0x0f) == 0x01, uart[2]);

  // Nothing is pending yet: a claim returns 0.
  check("plic-claim-empty", *PLIC_CLAIM(CTX) == 0, 0);
  *PLIC_PRIORITY(10) = 1;
  check("plic-priority", *PLIC_PRIORITY(10) == 1, (long)*PLIC_PRIORITY(10));
  *PLIC_ENABLE(CTX) = 1u << 10;
  *PLIC_THRESHOLD(CTX) = 0;
  csr_set(sie, 1UL << IRQ_S_EXT);
  csr_set(sstatus, SSTATUS_SIE);
  uart[1] = 0x02;                   // IER.ETBEI: THR empty -> interrupt
  uint64_t end = rdtime() + 2000000;
  while (ext_irqs == 0 && rdtime() < end)
    wfi();
  csr_clear(sstatus, SSTATUS_SIE);
  check("uart-irq-taken", ext_irqs == 1, ext_irqs);
  check("plic-claimed-uart", claimed_src == 10, claimed_src);
  check("uart-iir-thre", (iir_seen & 0x0f) == 0x02, iir_seen);
  check("plic-nothing-left", *PLIC_CLAIM(CTX) == 0, 0);
  finish("uarttest");
}
