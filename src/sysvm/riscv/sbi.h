/* Lodge's own SBI (RISC-V Supervisor Binary Interface 2.0): what an S-mode kernel asks of the firmware,
 * answered by the machine with no firmware loaded. Extensions: base, TIME, IPI, RFENCE, HSM, SRST, DBCN,
 * and the legacy console putchar/getchar, set_timer, shutdown. The machine supplies its services in SbiHost. */
#ifndef LODGE_SYSVM_RISCV_SBI_H
#define LODGE_SYSVM_RISCV_SBI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sysvm/riscv/hart.h"

enum { SBI_RESET_SHUTDOWN = 0, SBI_RESET_COLD_REBOOT = 1, SBI_RESET_WARM_REBOOT = 2 };
enum { SBI_REASON_NONE = 0, SBI_REASON_FAILURE = 1 };

typedef struct SbiHost {
    void *opaque;
    unsigned nharts;
    Hart *(*hart)(void *opaque, unsigned hartid);
    void (*putc)(void *opaque, uint8_t c);
    int (*getc)(void *opaque);                                  /* -1 when no input */
    void (*set_timer)(void *opaque, unsigned hartid, uint64_t when);
    bool (*read_mem)(void *opaque, uint64_t paddr, void *buf, size_t len);
    /* Starts a stopped hart in S-mode at addr with a0 = hartid, a1 = arg. */
    void (*hart_start)(void *opaque, unsigned hartid, uint64_t addr, uint64_t arg);
    void (*reset)(void *opaque, uint32_t type, uint32_t reason);
} SbiHost;

/* Calls per extension, for --trace. */
typedef struct SbiStats {
    uint64_t legacy, base, time, ipi, rfence, hsm, srst, dbcn, unknown;
} SbiStats;

/* Handles the ecall in a7/a6/a0..a5 of hart h, writing a0 (error) and a1 (value). Always true: an unknown
 * call is answered with SBI_ERR_NOT_SUPPORTED, as the specification asks. */
bool sbi_handle(const SbiHost *host, Hart *h, SbiStats *stats);

#endif
