/* 16550A UART: transmit goes straight to a byte sink, receive comes from a byte source through a 16-byte
 * FIFO; interrupts for received data and transmitter-empty on one IrqLine. */
#ifndef LODGE_SYSVM_DEV_UART_H
#define LODGE_SYSVM_DEV_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/bus.h"
#include "sysvm/irq.h"

#define UART_SIZE 0x100
#define UART_FIFO 16

typedef struct Uart {
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thre_pending;                  /* transmitter-empty interrupt waiting to be seen in IIR */
    uint8_t rx[UART_FIFO];
    unsigned rx_head, rx_len;
    IrqLine irq;
    void (*tx)(void *opaque, uint8_t byte);
    int (*rx_byte)(void *opaque);       /* next input byte, or -1 */
    void *opaque;
} Uart;

extern const DevOps uart_ops;

void uart_init(Uart *u, IrqLine irq, void (*tx)(void *, uint8_t), int (*rx_byte)(void *), void *opaque);
void uart_reset(void *u);
/* Pulls waiting input into the FIFO (call between slices) and updates the interrupt. */
void uart_poll(Uart *u);

#endif
