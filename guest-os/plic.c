// guest-os/plic.c: the PLIC (see guest-os/plic.h).
//
// The register map (PLIC spec 1.0.0, "Memory Map"), 32-bit registers:
//
//   base + 4*s                        priority of source s (0 = never)
//   base + 0x1000 + 4*(s/32)          pending bits, 32 sources a word
//   base + 0x2000 + 0x80*c + 4*(s/32) enable bits of context c
//   base + 0x200000 + 0x1000*c        priority threshold of context c
//   base + 0x200004 + 0x1000*c        claim (read) / complete (write) of c
//
// A source interrupts context c if it is pending, enabled for c, and its
// priority is above c's threshold. We give our sources priority 1 and
// every context threshold 0: all enabled interrupts get through.
//
// Each source is enabled for one hart only, its "target": the boot hart
// if that PLIC reaches it, else the first hart it reaches. Enabled on
// every hart, one interrupt would wake every idle hart, all but one of
// which would claim nothing; in a Disco-V VM each of those wakeups is a
// descheduled vCPU brought back, a trapped claim, and often the woken
// process moving to another vCPU (usertests on 2 vCPUs ran about 1.5
// times longer that way).
// Which context is which hart's S mode comes from the device tree
// (guest-os/machine.c): on QEMU virt and in a Disco-V VM it is 2*h+1 on
// a one-node machine, but each node of a NUMA machine has its own PLIC,
// numbering its own harts from 0.
//
// In a Disco-V VM (the monitor calls are on: guest-os/page.c), an
// interrupt is taken with one monitor call, SBI_DISCO_IRQ_TAKE, which
// claims, acknowledges the device and completes (hyp/sbi/vsbi_disco.c):
// three device accesses would be three traps, about a third of what a
// disk request costs the VM. As Disco's IRIX drivers did (Disco 4.2.4).
// A VM has one PLIC; the call stands for that one.
#include "guest-os/hart.h"
#include "guest-os/machine.h"
#include "guest-os/page.h"
#include "guest-os/plic.h"
#include "kernel/panic.h"
#include "kernel/sbi.h"

#define PRIORITY(s)    (4 * (s))
#define ENABLE(c, s)   (0x2000 + 0x80 * (c) + 4 * ((s) / 32))
#define THRESHOLD(c)   (0x200000 + 0x1000 * (c))
#define CLAIM(c)       (0x200004 + 0x1000 * (c))

#define MAX_HANDLERS 8

// Who handles what: a short list, searched on each interrupt.
static struct {
  int plic;
  uint32_t src;
  uint64_t hart;               // the one hart it is enabled for
  void (*handler)(void);
} handlers[MAX_HANDLERS];
static int nhandlers;
static bool by_monitor;        // interrupts taken with SBI_DISCO_IRQ_TAKE

// The 32-bit register at offset off of PLIC p.
static volatile uint32_t *reg(int p, uint64_t off) {
  return (volatile uint32_t *)(machine.plics[p].base + off);
}

void plic_attach(int p, uint32_t src, void (*handler)(void)) {
  if (nhandlers == MAX_HANDLERS)
    panic("plic_attach: more than %d device interrupts", MAX_HANDLERS);
  // The target: this (boot) hart if the PLIC reaches it, else the first
  // hart of the device tree that it reaches.
  uint64_t target = hart_id();
  for (int i = 0; i < machine.nharts && machine.plics[p].sctx[target] < 0; i++)
    target = machine.hart_ids[i];
  handlers[nhandlers].plic = p;
  handlers[nhandlers].src = src;
  handlers[nhandlers].hart = target;
  handlers[nhandlers].handler = handler;
  nhandlers++;
  by_monitor = page_monitor_calls() && machine.nplics == 1;

  *reg(p, PRIORITY(src)) = 1;
}

void plic_hart_init(void) {
  uint64_t h = hart_id();
  for (int i = 0; i < nhandlers; i++) {
    int p = handlers[i].plic;
    int c = machine.plics[p].sctx[h];
    if (c < 0 || handlers[i].hart != h)
      continue;                  // not this hart's to take
    *reg(p, ENABLE(c, handlers[i].src)) |= 1U << (handlers[i].src % 32);
    *reg(p, THRESHOLD(c)) = 0;
  }
}

// Run the handler of source src of PLIC p, if it has one.
static void dispatch(int p, uint32_t src) {
  for (int i = 0; i < nhandlers; i++) {
    if (handlers[i].plic == p && handlers[i].src == src) {
      handlers[i].handler();
      return;
    }
  }
}

bool plic_device_acked(void) { return by_monitor; }

void plic_interrupt(void) {
  if (by_monitor) {
    uint32_t src = (uint32_t)sbi_call(SBI_EXT_DISCO, SBI_DISCO_IRQ_TAKE,
                                      0, 0, 0, 0, 0, 0).value;
    if (src != 0)
      dispatch(0, src);
    return;
  }
  uint64_t h = hart_id();
  for (int p = 0; p < machine.nplics; p++) {
    int c = machine.plics[p].sctx[h];
    if (c < 0)
      continue;
    // A claim returns the highest-priority pending source and clears its
    // pending bit, or 0 when none is left (spec "Interrupt Claim
    // Process"). Another hart may have claimed it first: then we get 0.
    // One claim a trap, not until 0: a source still pending keeps the
    // hart's external interrupt up, and we come back for it; and each
    // claim is a trap in a Disco-V VM, the last one (0) a wasted one.
    uint32_t src = *reg(p, CLAIM(c));
    if (src != 0) {
      dispatch(p, src);
      *reg(p, CLAIM(c)) = src;     // complete: the source may fire again
    }
  }
}
