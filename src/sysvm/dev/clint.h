/* CLINT (SiFive core-local interruptor): per-hart software interrupt (msip) and machine timer (mtimecmp)
 * against the shared mtime, plus the supervisor timer compare that Lodge's SBI set_timer programs. */
#ifndef LODGE_SYSVM_DEV_CLINT_H
#define LODGE_SYSVM_DEV_CLINT_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/bus.h"

#define CLINT_MAX_HARTS 16
#define CLINT_SIZE 0x10000

/* Which per-hart line the CLINT drives (bit numbers of mip). */
enum { CLINT_LINE_MSIP = 3, CLINT_LINE_STIP = 5, CLINT_LINE_MTIP = 7 };

typedef struct Clint {
    unsigned nharts;
    uint32_t msip[CLINT_MAX_HARTS];
    uint64_t mtimecmp[CLINT_MAX_HARTS];
    uint64_t stimecmp[CLINT_MAX_HARTS];
    bool mtip[CLINT_MAX_HARTS], stip[CLINT_MAX_HARTS];
    uint64_t (*now)(void *opaque);                    /* mtime: ticks of the 10 MHz timebase */
    void (*set_line)(void *opaque, unsigned hart, unsigned line, bool level);
    void *opaque;
} Clint;

extern const DevOps clint_ops;

void clint_init(Clint *c, unsigned nharts, uint64_t (*now)(void *), void (*set_line)(void *, unsigned, unsigned, bool),
                void *opaque);
void clint_reset(void *c);
/* The supervisor timer of Lodge's SBI (sbi_set_timer): STIP is raised when mtime reaches `when`. */
void clint_set_stimecmp(Clint *c, unsigned hart, uint64_t when);
/* Raise or lower timer lines for the current time; returns the earliest future deadline (UINT64_MAX: none). */
uint64_t clint_poll(Clint *c);

#endif
