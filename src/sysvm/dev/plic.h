/* PLIC (platform-level interrupt controller) with level-triggered sources and two contexts per hart:
 * context 2h is hart h's M-mode (MEIP), context 2h+1 its S-mode (SEIP), as on QEMU's virt board. */
#ifndef LODGE_SYSVM_DEV_PLIC_H
#define LODGE_SYSVM_DEV_PLIC_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/bus.h"

#define PLIC_NUM_SOURCES 64          /* source 0 is "no interrupt"; 1..63 usable */
#define PLIC_MAX_CONTEXTS 32
#define PLIC_SIZE 0x600000

enum { PLIC_LINE_MEIP = 11, PLIC_LINE_SEIP = 9 };

typedef struct Plic {
    unsigned nctx;
    uint32_t prio[PLIC_NUM_SOURCES];
    uint64_t level;                  /* input line state */
    uint64_t pending;
    uint64_t claimed;                /* claimed, not yet completed */
    uint64_t enable[PLIC_MAX_CONTEXTS];
    uint32_t threshold[PLIC_MAX_CONTEXTS];
    bool out[PLIC_MAX_CONTEXTS];
    void (*set_line)(void *opaque, unsigned hart, unsigned line, bool level);
    void *opaque;
    uint64_t raised;                 /* --trace: interrupts delivered (claims) */
} Plic;

extern const DevOps plic_ops;

void plic_init(Plic *p, unsigned nharts, void (*set_line)(void *, unsigned, unsigned, bool), void *opaque);
void plic_reset(void *p);
/* The device side: an IrqLine's `set` (opaque = the Plic, num = source). */
void plic_set_irq(void *p, unsigned source, bool level);

#endif
