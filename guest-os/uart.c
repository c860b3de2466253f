// guest-os/uart.c: the ns16550a driver (see guest-os/uart.h).
//
// The registers, one byte each (National Semiconductor PC16550D data
// sheet, "Register Summary"); on QEMU virt they are 1 byte apart, and the
// device tree's reg-shift would say otherwise:
//
//   0  RBR receive buffer (read)   THR transmit holding (write)
//   1  IER interrupt enable        bit 0: received data available
//   2  IIR interrupt identity (r)  FCR FIFO control (w)
//   3  LCR line control            bits 1:0 word length, bit 7 DLAB
//   4  MCR modem control           bit 3: OUT2
//   5  LSR line status             bit 0 DR: data ready
//                                  bit 5 THRE: transmit holding empty
//
// Output polls THRE and writes THR: the console writes little, and a
// byte takes no time on QEMU. Input comes by interrupt: the UART raises
// its line while received data waits, the PLIC passes it on, and
// uart_interrupt drains RBR until LSR.DR is clear, which drops the line.
// In a Disco-V VM every one of these accesses traps to the monitor, which
// emulates the UART (hyp/dev/vuart.c).
#include "guest-os/machine.h"
#include "guest-os/tty.h"
#include "guest-os/uart.h"

#define RBR 0
#define THR 0
#define IER 1
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5

#define IER_RX_READY  0x01
#define FCR_ENABLE    0x01      // FIFOs on
#define FCR_CLEAR     0x06      // empty both FIFOs
#define LCR_8N1       0x03      // 8 data bits, no parity, 1 stop bit
#define MCR_DTR_RTS   0x03
#define MCR_OUT2      0x08      // gates the interrupt line on PC boards
#define LSR_DR        0x01
#define LSR_THRE      0x20

// The byte-wide register i.
static volatile uint8_t *reg(int i) {
  return (volatile uint8_t *)(machine.uart_base + ((uint64_t)i << machine.uart_shift));
}

void uart_init(void) {
  *reg(IER) = 0;                          // quiet while we set up
  *reg(LCR) = LCR_8N1;                    // DLAB = 0: leave the divisor
  *reg(FCR) = FCR_ENABLE | FCR_CLEAR;
  *reg(MCR) = MCR_DTR_RTS | MCR_OUT2;
  if (machine.uart_plic >= 0)
    *reg(IER) = IER_RX_READY;
}

void uart_putc(char c) {
  while ((*reg(LSR) & LSR_THRE) == 0)
    ;
  *reg(THR) = (uint8_t)c;
}

void uart_interrupt(void) {
  while (*reg(LSR) & LSR_DR)
    tty_input(*reg(RBR));
}
