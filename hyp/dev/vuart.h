// hyp/dev/vuart.h: a virtual ns16550a UART, the serial port of QEMU's virt.
#ifndef HYP_VUART_H
#define HYP_VUART_H

#include "kernel/types.h"

#define VUART_GPA_BASE 0x10000000UL
#define VUART_GPA_SIZE 0x100UL
#define VUART_IRQ      10           // its PLIC source, as on QEMU virt

// Keys typed for the VM that it has not read yet, in order. A real 16550
// holds 16 (its FIFO), but a real terminal's line holds more: a guest
// that is still booting when you type a command must find all of it when
// it gets to read. Beyond this many the keys are dropped, and the console
// says so (hyp/dev/conskeys.c).
#define VUART_RXBUF    256

struct vm;

struct vuart {
  uint8_t ier, lcr, mcr, scr, dll, dlm;
  bool thre_irq;                    // "transmitter empty" interrupt pending
  uint8_t rx[VUART_RXBUF];          // typed bytes for the guest
  int rx_head, rx_count;
  uint64_t rx_dropped;              // keys dropped since the buffer filled
};

// A guest's byte access at offset off (0..7) of vm's UART: the access
// signature of every device in hyp/dev/mmio.c's table. Returns 0, or -1
// for an access the UART does not have (wider than a byte, beyond
// register 7). The caller holds the VM's device lock and calls
// mmio_irq_changed() afterwards.
int vuart_read(struct vm *vm, uint64_t off, int width, uint64_t *val);
int vuart_write(struct vm *vm, uint64_t off, int width, uint64_t val);

// A key typed for this VM, after those before it. False, and counted in
// rx_dropped, if the receive buffer is full.
bool vuart_receive(struct vuart *u, uint8_t c);

// Is vm's UART's interrupt line up?
bool vuart_irq_level(struct vm *vm);

#endif
