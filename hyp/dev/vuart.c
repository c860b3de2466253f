// hyp/dev/vuart.c: the virtual ns16550a (see hyp/dev/vuart.h).
//
// Eight byte-wide registers, as in the National Semiconductor PC16550D
// data sheet ("Register Description"), the UART every PC and QEMU's virt
// machine have:
//
//   off  read                      write
//   0    RBR receive buffer        THR transmit holding   (DLL if LCR.DLAB)
//   1    IER interrupt enable      IER                    (DLM if LCR.DLAB)
//   2    IIR interrupt identity    FCR FIFO control
//   3    LCR line control          LCR
//   4    MCR modem control         MCR
//   5    LSR line status           -
//   6    MSR modem status          -
//   7    SCR scratch               SCR
//
// Transmitting is instant: a byte written to THR goes straight to the VM's
// console (vconsole_putc), so the transmitter is always empty (LSR.THRE
// and TEMT set). Baud rate, parity and FIFOs change nothing and are only
// stored.
#include "hyp/dev/vconsole.h"
#include "hyp/vm/vm.h"
#include "hyp/dev/vuart.h"

#define LCR_DLAB 0x80        // divisor latch access
#define IER_RDA  0x01        // interrupt when received data is available
#define IER_THRE 0x02        // interrupt when THR is empty
#define LSR_DR   0x01        // data ready
#define LSR_THRE 0x20        // THR empty
#define LSR_TEMT 0x40        // transmitter empty
#define IIR_NONE 0x01        // no interrupt pending
#define IIR_THRE 0x02        // THR empty
#define IIR_RDA  0x04        // received data available
#define IIR_FIFO 0xc0        // "FIFOs enabled", as QEMU reports

static bool rx_irq(const struct vuart *u) {
  return (u->ier & IER_RDA) && u->rx_count > 0;
}

static bool thre_irq(const struct vuart *u) {
  return (u->ier & IER_THRE) && u->thre_irq;
}

bool vuart_irq_level(struct vm *vm) {
  return rx_irq(&vm->uart) || thre_irq(&vm->uart);
}

bool vuart_receive(struct vuart *u, uint8_t c) {
  if (u->rx_count == VUART_RXBUF) {
    u->rx_dropped++;
    return false;
  }
  u->rx[(u->rx_head + u->rx_count) % VUART_RXBUF] = c;
  u->rx_count++;
  return true;
}

int vuart_read(struct vm *vm, uint64_t off, int width, uint64_t *val) {
  struct vuart *u = &vm->uart;
  if (width != 1 || off > 7)
    return -1;
  bool dlab = (u->lcr & LCR_DLAB) != 0;
  switch (off) {
  case 0:
    if (dlab) {
      *val = u->dll;
    } else if (u->rx_count > 0) {
      *val = u->rx[u->rx_head];
      u->rx_head = (u->rx_head + 1) % VUART_RXBUF;
      u->rx_count--;
    } else {
      *val = 0;
    }
    break;
  case 1: *val = dlab ? u->dlm : u->ier; break;
  case 2:
    // The highest-priority cause: received data before THR empty. Reading
    // IIR when it reports THR empty clears that interrupt (data sheet,
    // table "Interrupt Control Functions").
    if (rx_irq(u)) {
      *val = IIR_FIFO | IIR_RDA;
    } else if (thre_irq(u)) {
      *val = IIR_FIFO | IIR_THRE;
      u->thre_irq = false;
    } else {
      *val = IIR_FIFO | IIR_NONE;
    }
    break;
  case 3: *val = u->lcr; break;
  case 4: *val = u->mcr; break;
  case 5: *val = LSR_THRE | LSR_TEMT | (u->rx_count > 0 ? LSR_DR : 0); break;
  case 6: *val = 0; break;
  case 7: *val = u->scr; break;
  }
  return 0;
}

int vuart_write(struct vm *vm, uint64_t off, int width, uint64_t val) {
  struct vuart *u = &vm->uart;
  if (width != 1 || off > 7)
    return -1;
  uint8_t b = (uint8_t)val;
  bool dlab = (u->lcr & LCR_DLAB) != 0;
  switch (off) {
  case 0:
    if (dlab) {
      u->dll = b;
    } else {
      vconsole_putc(vm, (char)b);
      u->thre_irq = true;          // sent at once: THR is empty again
    }
    break;
  case 1:
    if (dlab) {
      u->dlm = b;
    } else {
      // Enabling the THRE interrupt while THR is empty raises it at once.
      if ((b & IER_THRE) && !(u->ier & IER_THRE))
        u->thre_irq = true;
      u->ier = b & 0x0f;
    }
    break;
  case 2: break;                   // FCR: FIFOs are not modelled
  case 3: u->lcr = b; break;
  case 4: u->mcr = b; break;
  case 7: u->scr = b; break;
  default: break;                  // LSR, MSR: read-only
  }
  return 0;
}
