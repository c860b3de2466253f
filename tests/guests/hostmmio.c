// tests/guests/hostmmio.c: a hostile guest that abuses its devices
// (tests/system/test_hostile.py).
//
// bootargs "attack=<name>". Two kinds of attack:
//
// Accesses no emulator can make sense of, after which the monitor must
// stop this VM with a report naming the address (never guess, never
// touch another VM's device):
//   misaligned-plic  a 4-byte load from PLIC + 2
//   halfword-uart    a 2-byte load from the UART (its registers are bytes)
//   wide-plic        an 8-byte load from a PLIC register
//   amo-plic         amoswap.w on a PLIC priority
//   amo-uart         amoor.w on the UART
//   lr-plic          lr.w from the PLIC's claim register
//   float-plic       flw from a PLIC register
//   cld-uart         a compressed 8-byte load (c.ld) from the UART
//   plic-context     the threshold of a PLIC context this VM does not have
//   virtio-absent    the virtio slot of a VM without a disk (the victim's
//                    disk sits at the same guest-physical address in its VM)
//   misaligned-virtio  a 4-byte load from the disk's Status + 2
//   amo-virtio       amoor.w on the disk's QueueNotify
//
// Abuse a device must take in its stride, after which this VM goes on
// and ends with "hostmmio: done, 0 failed":
//   plic-abuse       every PLIC register of ours written with all ones,
//                    pending written (read-only), claims with nothing
//                    pending, completions of sources never claimed or
//                    that do not exist; compressed loads and stores
//   uart-abuse       every UART register written with junk, the divisor
//                    latch, reads of an empty receive buffer, 4 KiB of
//                    output with no newline and every byte value
//   page-cross       a legal 4-byte PLIC load whose instruction straddles
//                    a page boundary (the monitor reads it in two halves)
//   sc-uart          sc.w to the UART without a reservation (fails in
//                    the guest without touching the device)
//   irq-storm        the UART's THR-empty interrupt enabled and never
//                    cleared: an endless stream of interrupts for ~1 s
//   flood            both vCPUs print lines through the UART as fast as
//                    they can for ~1 s: the console is shared, and the
//                    other VMs' lines must still get out
#include "kernel/string.h"
#include "tests/guests/guest.h"

#define PLIC 0x0c000000UL
#define UART 0x10000000UL
#define VIRTIO 0x10001000UL
#define CTX 1                             // vCPU 0's S-mode context
#define PLIC_PRIO(s)     (PLIC + 4 * (s))
#define PLIC_PENDING(w)  (PLIC + 0x1000 + 4 * (w))
#define PLIC_ENABLE(c, w) (PLIC + 0x2000 + 0x80 * (c) + 4 * (w))
#define PLIC_THRESH(c)   (PLIC + 0x200000 + 0x1000 * (c))
#define PLIC_CLAIM(c)    (PLIC + 0x200004 + 0x1000 * (c))
#define UART_IRQ 10

static volatile uint32_t *r32(uint64_t a) { return (volatile uint32_t *)a; }
static volatile uint8_t *r8(uint64_t a) { return (volatile uint8_t *)a; }

// Print numbered lines through the UART until `until` (rdtime).
static void flood(uint64_t id, uint64_t until) {
  static const char text[] = " the quick brown fox jumps over the lazy dog\n";
  for (uint64_t n = 0; rdtime() < until; n++) {
    *r8(UART) = (uint8_t)('0' + id);
    *r8(UART) = (uint8_t)('0' + n % 10);
    for (const char *p = text; *p; p++)
      *r8(UART) = (uint8_t)*p;
  }
}

// vCPU 1 of the flood; it says when it is done, so that vCPU 0's last
// lines ("done, 0 failed") are not cut up by its last bytes.
static volatile int flood_done;
void guest_hart(uint64_t hartid, uint64_t opaque) {
  flood(hartid, opaque);
  __atomic_store_n(&flood_done, 1, __ATOMIC_RELEASE);
}

// The accesses after which the VM must be stopped. Returns if the
// monitor let one through.
static void fatal(const char *a) {
  uint64_t v = 0;
  if (strcmp(a, "misaligned-plic") == 0)     // one lw (C would split it)
    asm volatile("lw %0, 0(%1)" : "=r"(v) : "r"(PLIC_PRIO(1) + 2) : "memory");
  else if (strcmp(a, "halfword-uart") == 0)
    v = *(volatile uint16_t *)UART;
  else if (strcmp(a, "wide-plic") == 0)
    v = *(volatile uint64_t *)PLIC_PRIO(2);
  else if (strcmp(a, "amo-plic") == 0)
    asm volatile("amoswap.w %0, %2, (%1)" : "=r"(v) : "r"(PLIC_PRIO(1)), "r"(7) : "memory");
  else if (strcmp(a, "amo-uart") == 0)
    asm volatile("amoor.w %0, %2, (%1)" : "=r"(v) : "r"(UART), "r"(0x41) : "memory");
  else if (strcmp(a, "lr-plic") == 0)
    asm volatile("lr.w %0, (%1)" : "=r"(v) : "r"(PLIC_CLAIM(CTX)) : "memory");
  else if (strcmp(a, "float-plic") == 0) {
    csr_set(sstatus, SSTATUS_FS);                   // FP on: flw may run
    asm volatile("flw ft0, 0(%1)\nfmv.x.w %0, ft0" : "=r"(v) : "r"(PLIC_PRIO(1)) : "ft0", "memory");
  } else if (strcmp(a, "cld-uart") == 0)
    asm volatile(".option push\n.option rvc\nc.ld %0, 0(%1)\n.option pop"
                 : "=r"(v) : "r"(UART) : "memory");   // x8..x15 for c.ld
  else if (strcmp(a, "plic-context") == 0)
    v = *r32(PLIC_THRESH(15));
  else if (strcmp(a, "virtio-absent") == 0)
    v = *r32(VIRTIO);
  else if (strcmp(a, "misaligned-virtio") == 0)
    asm volatile("lw %0, 0(%1)" : "=r"(v) : "r"(VIRTIO + 0x72) : "memory");
  else if (strcmp(a, "amo-virtio") == 0)
    asm volatile("amoor.w %0, %2, (%1)" : "=r"(v) : "r"(VIRTIO + 0x50), "r"(0) : "memory");
  else
    return;
  printf("hostmmio: the monitor let it through (%lx)\n", v);
  finish("hostmmio");
}

// Junk in every PLIC register of ours; the WARL fields keep what they
// can hold, read-only ones nothing; then legal compressed accesses.
static void plic_abuse(void) {
  for (int s = 0; s < 96; s++)
    *r32(PLIC_PRIO(s)) = 0xffffffff;
  check("prio-warl", *r32(PLIC_PRIO(1)) == 7 && *r32(PLIC_PRIO(0)) == 0, *r32(PLIC_PRIO(1)));
  for (int w = 0; w < 3; w++) {
    *r32(PLIC_PENDING(w)) = 0xffffffff;             // read-only
    *r32(PLIC_ENABLE(0, w)) = 0xffffffff;
    *r32(PLIC_ENABLE(CTX, w)) = 0xffffffff;
  }
  check("pending-read-only", *r32(PLIC_PENDING(0)) == 0, *r32(PLIC_PENDING(0)));
  *r32(PLIC_THRESH(CTX)) = 0xffffffff;
  check("threshold-warl", *r32(PLIC_THRESH(CTX)) == 7, *r32(PLIC_THRESH(CTX)));
  *r32(PLIC_THRESH(CTX)) = 0;
  uint32_t claimed = 0;
  for (int i = 0; i < 1000; i++)
    claimed |= *r32(PLIC_CLAIM(CTX));
  check("claim-nothing", claimed == 0, claimed);
  uint32_t bogus[] = {0, 1, 5, 10, 95, 96, 1023, 1024, 0xffffffff};
  for (unsigned i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
    *r32(PLIC_CLAIM(CTX)) = bogus[i];
    *r32(PLIC_CLAIM(0)) = bogus[i];
  }
  check("complete-bogus", *r32(PLIC_CLAIM(CTX)) == 0, 0);
  // Compressed loads and stores: legal, and emulated.
  register uint64_t base asm("a0") = PLIC_PRIO(4);   // x8..x15 for these
  register uint64_t val asm("a1") = 3;
  register uint64_t got asm("a2");
  asm volatile(".option push\n.option rvc\nc.sw %1, 0(%2)\nc.lw %0, 0(%2)\n.option pop"
               : "=&r"(got) : "r"(val), "r"(base) : "memory");
  check("compressed", got == 3, (long)got);
  for (int w = 0; w < 3; w++)
    *r32(PLIC_ENABLE(CTX, w)) = 0;
}

// Junk in every UART register, the divisor latch, reads of an empty
// receive buffer, and every byte value (but newline and ESC) as output.
static void uart_abuse(void) {
  *r8(UART + 3) = 0x80;                             // DLAB
  *r8(UART + 0) = 0xff;
  *r8(UART + 1) = 0xff;
  *r8(UART + 3) = 0x03;
  for (int off = 1; off < 8; off++)
    *r8(UART + off) = 0xff;
  *r8(UART + 1) = 0;                                // IER off again
  *r8(UART + 3) = 0x03;
  uint32_t seen = 0;
  for (int i = 0; i < 1000; i++)
    seen |= *r8(UART + 0);
  check("empty-rbr", seen == 0, seen);
  check("lsr", (*r8(UART + 5) & 0x61) == 0x60, *r8(UART + 5));
  printf("hostmmio: every byte value, 16 times, no newline: ");
  for (int k = 0; k < 16; k++)
    for (int c = 0; c < 256; c++)
      if (c != '\n' && c != 0x1b)          // escapes are hostesc's class
        *r8(UART) = (uint8_t)c;
  *r8(UART) = '\n';
}

// A legal PLIC load whose 4-byte instruction starts 2 bytes before the
// end of a page (the nops before it are compressed).
extern uint32_t load_across_page(uint64_t addr);
asm(".section .text.cross, \"ax\"\n"
    ".balign 4096\n"
    ".globl load_across_page\n"
    "load_across_page:\n"
    ".option push\n.option rvc\n"
    ".fill 2047, 2, 0x0001\n"             // c.nop: 4094 bytes
    ".option norvc\n"
    "lw a0, 0(a0)\n"
    ".option rvc\n"
    "ret\n"
    ".option pop\n"
    ".text\n");

static volatile int storm_irqs;
static uint64_t storm_end;

// The storm's handler: claim and complete, and leave the cause (THR
// empty) standing, so the next interrupt comes at once, until the storm
// is over. (The interrupted loop gets no instruction in meanwhile: the
// handler is what must end it, as on real hardware.)
void guest_external_irq(void) {
  uint32_t src = *r32(PLIC_CLAIM(CTX));
  *r32(PLIC_CLAIM(CTX)) = src;
  storm_irqs++;
  if (rdtime() >= storm_end)
    *r8(UART + 1) = 0;                            // IER off: it is over
}

// Enable the UART's THR-empty interrupt through the PLIC and let the
// handler above take it, again and again, for a second.
static void irq_storm(void) {
  *r32(PLIC_PRIO(UART_IRQ)) = 1;
  *r32(PLIC_ENABLE(CTX, 0)) = 1u << UART_IRQ;
  *r32(PLIC_THRESH(CTX)) = 0;
  *r8(UART + 1) = 0x02;                           // IER: THR empty
  storm_end = rdtime() + 10000000;                // 1 s at 10 MHz
  csr_set(sie, 1UL << IRQ_S_EXT);
  csr_set(sstatus, SSTATUS_SIE);
  while (rdtime() < storm_end)
    ;
  csr_clear(sstatus, SSTATUS_SIE);
  *r8(UART + 1) = 0;
  printf("hostmmio: %d interrupts in the storm\n", storm_irqs);
  check("storm", storm_irqs > 100, storm_irqs);
}

void guest_main(uint64_t hartid, const void *dtb) {
  char a[24] = "";
  bootarg_str("attack", a, sizeof(a));
  printf("hostmmio: attack %s\n", a);
  fatal(a);
  if (strcmp(a, "plic-abuse") == 0) {
    plic_abuse();
  } else if (strcmp(a, "uart-abuse") == 0) {
    uart_abuse();
  } else if (strcmp(a, "page-cross") == 0) {
    *r32(PLIC_PRIO(3)) = 5;
    check("page-cross", load_across_page(PLIC_PRIO(3)) == 5, 0);
  } else if (strcmp(a, "sc-uart") == 0) {
    uint64_t fail;
    asm volatile("sc.w %0, %2, (%1)" : "=r"(fail) : "r"(UART), "r"(0x41) : "memory");
    check("sc-fails", fail != 0, (long)fail);
  } else if (strcmp(a, "irq-storm") == 0) {
    irq_storm();
  } else if (strcmp(a, "flood") == 0) {
    uint64_t until = rdtime() + 10000000;         // 1 s at 10 MHz
    check("start-1", start_hart(1, until) == 0, 0);
    flood(0, until);
    uint64_t give_up = rdtime() + 50000000;         // 5 s at 10 MHz
    while (!__atomic_load_n(&flood_done, __ATOMIC_ACQUIRE) && rdtime() < give_up)
      ;
    check("flood-vcpu1-finished", flood_done, 0);
  } else {
    printf("hostmmio: no attack '%s'\n", a);
    checks_failed++;
  }
  finish("hostmmio");
}
