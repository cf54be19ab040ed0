/* Interrupt lines: a device holds an IrqLine and raises or lowers it; whoever owns the other end (the PLIC
 * for device interrupts) decides what that means. Devices never see harts. */
#ifndef LODGE_SYSVM_IRQ_H
#define LODGE_SYSVM_IRQ_H

#include <stdbool.h>

typedef struct IrqLine {
    void (*set)(void *opaque, unsigned num, bool level);
    void *opaque;
    unsigned num;
} IrqLine;

/* Level-triggered: the line stays at `level` until set again. An unconnected line does nothing. */
static inline void irq_set(const IrqLine *line, bool level)
{
    if (line->set)
        line->set(line->opaque, line->num, level);
}

#endif
