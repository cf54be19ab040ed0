/* The SiFive test device ("sifive,test0", used through Linux's syscon-poweroff/syscon-reboot): one register
 * whose writes power the machine off, reboot it, or end it with a failure code. */
#ifndef LODGE_SYSVM_DEV_SYSCON_H
#define LODGE_SYSVM_DEV_SYSCON_H

#include <stdint.h>

#include "sysvm/bus.h"

#define SYSCON_SIZE 0x1000
enum { SYSCON_POWEROFF = 0x5555, SYSCON_REBOOT = 0x7777, SYSCON_FAIL = 0x3333 };

typedef struct Syscon {
    /* what: SYSCON_POWEROFF, SYSCON_REBOOT or SYSCON_FAIL (code = the upper 16 bits written) */
    void (*request)(void *opaque, unsigned what, uint32_t code);
    void *opaque;
} Syscon;

extern const DevOps syscon_ops;

#endif
