/* The SiFive test device: the register at offset 0 takes 0x5555 (power off), 0x7777 (reboot) or
 * code << 16 | 0x3333 (fail with code). Other values are ignored, as on hardware. */
#include "sysvm/dev/syscon.h"

#include <stddef.h>

static bool syscon_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    *val = 0;
    return true;
}

static bool syscon_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    Syscon *s = dev;
    if (off != 0 || size < 2)          /* OpenSBI's syscon reset writes 16 bits */
        return true;
    unsigned what = (unsigned)(val & 0xffff);
    if (what == SYSCON_POWEROFF || what == SYSCON_REBOOT || what == SYSCON_FAIL)
        s->request(s->opaque, what, (uint32_t)(val >> 16) & 0xffff);
    return true;
}

const DevOps syscon_ops = {.name = "syscon", .read = syscon_read, .write = syscon_write, .reset = NULL};
