/* CLINT: msip at 0x0000 + 4*hart, mtimecmp at 0x4000 + 8*hart, mtime at 0xbff8 (the SiFive layout that
 * QEMU's virt board and OpenSBI expect). */
#include "sysvm/dev/clint.h"

#include <string.h>

enum { MSIP_BASE = 0x0, MTIMECMP_BASE = 0x4000, MTIME = 0xbff8 };

void clint_init(Clint *c, unsigned nharts, uint64_t (*now)(void *), void (*set_line)(void *, unsigned, unsigned, bool),
                void *opaque)
{
    memset(c, 0, sizeof *c);
    c->nharts = nharts > CLINT_MAX_HARTS ? CLINT_MAX_HARTS : nharts;
    c->now = now;
    c->set_line = set_line;
    c->opaque = opaque;
    clint_reset(c);
}

void clint_reset(void *dev)
{
    Clint *c = dev;
    for (unsigned h = 0; h < CLINT_MAX_HARTS; h++) {
        c->msip[h] = 0;
        c->mtimecmp[h] = UINT64_MAX;
        c->stimecmp[h] = UINT64_MAX;
        c->mtip[h] = c->stip[h] = false;
    }
}

static void line(Clint *c, unsigned hart, unsigned which, bool *cur, bool level)
{
    if (*cur != level) {
        *cur = level;
        c->set_line(c->opaque, hart, which, level);
    }
}

uint64_t clint_poll(Clint *c)
{
    uint64_t now = c->now(c->opaque), next = UINT64_MAX;
    for (unsigned h = 0; h < c->nharts; h++) {
        line(c, h, CLINT_LINE_MTIP, &c->mtip[h], now >= c->mtimecmp[h]);
        line(c, h, CLINT_LINE_STIP, &c->stip[h], now >= c->stimecmp[h]);
        if (c->mtimecmp[h] > now && c->mtimecmp[h] < next)
            next = c->mtimecmp[h];
        if (c->stimecmp[h] > now && c->stimecmp[h] < next)
            next = c->stimecmp[h];
    }
    return next;
}

void clint_set_stimecmp(Clint *c, unsigned hart, uint64_t when)
{
    if (hart >= c->nharts)
        return;
    c->stimecmp[hart] = when;
    line(c, hart, CLINT_LINE_STIP, &c->stip[hart], c->now(c->opaque) >= when);
}

/* 64-bit registers may be accessed as two 32-bit halves (RV32 firmware) or whole. */
static bool reg64_read(uint64_t reg, uint64_t off, unsigned size, uint64_t *val)
{
    if (size == 8 && !(off & 7)) *val = reg;
    else if (size == 4 && !(off & 3)) *val = (off & 4) ? reg >> 32 : (uint32_t)reg;
    else return false;
    return true;
}

static bool reg64_write(uint64_t *reg, uint64_t off, unsigned size, uint64_t val)
{
    if (size == 8 && !(off & 7)) *reg = val;
    else if (size == 4 && !(off & 3) && (off & 4)) *reg = (*reg & 0xffffffffu) | val << 32;
    else if (size == 4 && !(off & 3)) *reg = (*reg & ~0xffffffffull) | (uint32_t)val;
    else return false;
    return true;
}

static bool clint_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    Clint *c = dev;
    *val = 0;
    if (off < MSIP_BASE + 4 * (uint64_t)c->nharts) {
        if (size != 4 || (off & 3)) return false;
        *val = c->msip[off / 4];
        return true;
    }
    if (off >= MTIMECMP_BASE && off < MTIMECMP_BASE + 8 * (uint64_t)c->nharts)
        return reg64_read(c->mtimecmp[(off - MTIMECMP_BASE) / 8], off, size, val);
    if (off >= MTIME && off < MTIME + 8)
        return reg64_read(c->now(c->opaque), off, size, val);
    return true;                       /* reserved space reads as zero */
}

static bool clint_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    Clint *c = dev;
    if (off < MSIP_BASE + 4 * (uint64_t)c->nharts) {
        if (size != 4 || (off & 3)) return false;
        unsigned h = (unsigned)(off / 4);
        c->msip[h] = val & 1;
        c->set_line(c->opaque, h, CLINT_LINE_MSIP, val & 1);
        return true;
    }
    if (off >= MTIMECMP_BASE && off < MTIMECMP_BASE + 8 * (uint64_t)c->nharts) {
        unsigned h = (unsigned)((off - MTIMECMP_BASE) / 8);
        if (!reg64_write(&c->mtimecmp[h], off, size, val)) return false;
        line(c, h, CLINT_LINE_MTIP, &c->mtip[h], c->now(c->opaque) >= c->mtimecmp[h]);
        return true;
    }
    return true;                       /* mtime is read-only here: it is the host clock */
}

const DevOps clint_ops = {.name = "clint", .read = clint_read, .write = clint_write, .reset = clint_reset};
