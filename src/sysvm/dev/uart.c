/* 16550A UART register model (enough for Linux's 8250 driver and OpenSBI's console). */
#include "sysvm/dev/uart.h"

#include <string.h>

enum { LCR_DLAB = 0x80, IER_RDI = 0x01, IER_THRI = 0x02, LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40,
       IIR_NONE = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_FIFO = 0xc0, MCR_LOOP = 0x10 };

void uart_init(Uart *u, IrqLine irq, void (*tx)(void *, uint8_t), int (*rx_byte)(void *), void *opaque)
{
    memset(u, 0, sizeof *u);
    u->irq = irq;
    u->tx = tx;
    u->rx_byte = rx_byte;
    u->opaque = opaque;
    uart_reset(u);
}

void uart_reset(void *dev)
{
    Uart *u = dev;
    u->ier = u->lcr = u->mcr = u->scr = u->fcr = 0;
    u->dll = 12;   /* 9600 baud at 1.8432 MHz: the conventional power-on divisor */
    u->dlm = 0;
    u->rx_head = u->rx_len = 0;
    u->thre_pending = false;
    irq_set(&u->irq, false);
}

static uint8_t iir(const Uart *u)
{
    uint8_t fifo = (u->fcr & 1) ? IIR_FIFO : 0;
    if ((u->ier & IER_RDI) && u->rx_len)
        return IIR_RDI | fifo;
    if ((u->ier & IER_THRI) && u->thre_pending)
        return IIR_THRI | fifo;
    return IIR_NONE | fifo;
}

static void update(Uart *u)
{
    irq_set(&u->irq, !(iir(u) & IIR_NONE));
}

static void rx_push(Uart *u, uint8_t b)
{
    if (u->rx_len < UART_FIFO) {
        u->rx[(u->rx_head + u->rx_len) % UART_FIFO] = b;
        u->rx_len++;
    }
}

void uart_poll(Uart *u)
{
    while (u->rx_len < UART_FIFO && u->rx_byte && !(u->mcr & MCR_LOOP)) {
        int c = u->rx_byte(u->opaque);
        if (c < 0)
            break;
        rx_push(u, (uint8_t)c);
    }
    update(u);
}

static bool uart_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    Uart *u = dev;
    uint8_t v = 0;
    switch (off) {
    case 0:
        if (u->lcr & LCR_DLAB) { v = u->dll; break; }
        if (u->rx_len) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % UART_FIFO;
            u->rx_len--;
        }
        if (!u->rx_len)
            uart_poll(u);          /* refill at once: pasted input arrives without waiting a slice */
        break;
    case 1: v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
    case 2:
        v = iir(u);
        if ((v & 0x0f) == IIR_THRI)
            u->thre_pending = false;   /* reading IIR acknowledges the THRE interrupt */
        break;
    case 3: v = u->lcr; break;
    case 4: v = u->mcr; break;
    case 5: v = LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0); break;
    case 6: v = (u->mcr & MCR_LOOP) ? (uint8_t)((u->mcr & 0x0c) << 4 | (u->mcr & 0x03) << 4) : 0xb0; break;
    case 7: v = u->scr; break;
    default: break;
    }
    *val = v;
    update(u);
    return size == 1 || size == 4;
}

static bool uart_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    Uart *u = dev;
    uint8_t v = (uint8_t)val;
    switch (off) {
    case 0:
        if (u->lcr & LCR_DLAB) { u->dll = v; break; }
        if (u->mcr & MCR_LOOP)
            rx_push(u, v);
        else if (u->tx)
            u->tx(u->opaque, v);
        u->thre_pending = true;      /* sent at once: the holding register is empty again */
        break;
    case 1:
        if (u->lcr & LCR_DLAB) { u->dlm = v; break; }
        if ((v & IER_THRI) && !(u->ier & IER_THRI))
            u->thre_pending = true;
        u->ier = v & 0x0f;
        break;
    case 2:
        u->fcr = v & 0xc9;
        if (v & 0x02) { u->rx_head = u->rx_len = 0; }   /* clear receive FIFO */
        break;
    case 3: u->lcr = v; break;
    case 4: u->mcr = v & 0x1f; break;
    case 7: u->scr = v; break;
    default: break;
    }
    update(u);
    return size == 1 || size == 4;
}

const DevOps uart_ops = {.name = "uart", .read = uart_read, .write = uart_write, .reset = uart_reset};
