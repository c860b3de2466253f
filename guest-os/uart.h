// guest-os/uart.h: the ns16550a UART, the console's hardware.
#ifndef GUEST_OS_UART_H
#define GUEST_OS_UART_H

// Set the UART up: 8 data bits, no parity, FIFOs on, and the "received
// data available" interrupt on if it has a PLIC to reach us through.
// The baud rate is left as the firmware set it.
void uart_init(void);

// Send one byte, waiting until the transmitter has room (polling).
void uart_putc(char c);

// Received bytes: hand every one waiting to the console (guest-os/tty.c).
// The UART's interrupt handler; also called on each tick when there is
// no PLIC.
void uart_interrupt(void);

#endif
