/* PLIC: priorities at 0x0, pending bits at 0x1000, enables at 0x2000 + 0x80*ctx, threshold and
 * claim/complete at 0x200000 + 0x1000*ctx (the SiFive layout Linux's irq-sifive-plic driver expects). */
#include "sysvm/dev/plic.h"

#include <string.h>

enum { PRIO = 0x0, PENDING = 0x1000, ENABLE = 0x2000, ENABLE_STRIDE = 0x80, CTX = 0x200000, CTX_STRIDE = 0x1000 };

void plic_init(Plic *p, unsigned nharts, void (*set_line)(void *, unsigned, unsigned, bool), void *opaque)
{
    memset(p, 0, sizeof *p);
    p->nctx = 2 * nharts > PLIC_MAX_CONTEXTS ? PLIC_MAX_CONTEXTS : 2 * nharts;
    p->set_line = set_line;
    p->opaque = opaque;
}

void plic_reset(void *dev)
{
    Plic *p = dev;
    uint64_t level = p->level;       /* the wires keep their state across a reset */
    memset(p->prio, 0, sizeof p->prio);
    memset(p->enable, 0, sizeof p->enable);
    memset(p->threshold, 0, sizeof p->threshold);
    p->claimed = 0;
    p->pending = level & ~1ull;
    for (unsigned c = 0; c < p->nctx; c++)
        if (p->out[c]) {
            p->out[c] = false;
            p->set_line(p->opaque, c / 2, (c & 1) ? PLIC_LINE_SEIP : PLIC_LINE_MEIP, false);
        }
}

/* Best source for a context: highest priority above threshold, lowest number on ties; 0 if none. */
static unsigned best(const Plic *p, unsigned ctx)
{
    uint64_t cand = p->pending & p->enable[ctx] & ~p->claimed;
    unsigned id = 0;
    uint32_t bp = p->threshold[ctx];
    for (unsigned s = 1; cand >> s; s++)
        if ((cand >> s & 1) && p->prio[s] > bp) {
            bp = p->prio[s];
            id = s;
        }
    return id;
}

static void update(Plic *p)
{
    for (unsigned c = 0; c < p->nctx; c++) {
        bool lvl = best(p, c) != 0;
        if (lvl != p->out[c]) {
            p->out[c] = lvl;
            p->set_line(p->opaque, c / 2, (c & 1) ? PLIC_LINE_SEIP : PLIC_LINE_MEIP, lvl);
        }
    }
}

void plic_set_irq(void *dev, unsigned source, bool level)
{
    Plic *p = dev;
    if (source == 0 || source >= PLIC_NUM_SOURCES)
        return;
    uint64_t bit = 1ull << source;
    if (level) {
        p->level |= bit;
        if (!(p->claimed & bit))
            p->pending |= bit;
    } else {
        p->level &= ~bit;
        p->pending &= ~bit;      /* level-triggered: a lowered line withdraws its request */
    }
    update(p);
}

static bool plic_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    Plic *p = dev;
    *val = 0;
    if (size != 4 || (off & 3))
        return false;
    if (off < PENDING) {
        unsigned s = (unsigned)(off / 4);
        if (s < PLIC_NUM_SOURCES) *val = p->prio[s];
    } else if (off < ENABLE) {
        unsigned w = (unsigned)((off - PENDING) / 4);
        if (w < PLIC_NUM_SOURCES / 32) *val = (uint32_t)(p->pending >> (32 * w));
    } else if (off < CTX) {
        unsigned c = (unsigned)((off - ENABLE) / ENABLE_STRIDE), w = (unsigned)((off - ENABLE) % ENABLE_STRIDE / 4);
        if (c < p->nctx && w < PLIC_NUM_SOURCES / 32) *val = (uint32_t)(p->enable[c] >> (32 * w));
    } else {
        unsigned c = (unsigned)((off - CTX) / CTX_STRIDE), r = (unsigned)((off - CTX) % CTX_STRIDE);
        if (c >= p->nctx) return true;
        if (r == 0) {
            *val = p->threshold[c];
        } else if (r == 4) {           /* claim */
            unsigned s = best(p, c);
            if (s) {
                p->pending &= ~(1ull << s);
                p->claimed |= 1ull << s;
                p->raised++;
            }
            *val = s;
            update(p);
        }
    }
    return true;
}

static bool plic_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    Plic *p = dev;
    if (size != 4 || (off & 3))
        return false;
    if (off < PENDING) {
        unsigned s = (unsigned)(off / 4);
        if (s && s < PLIC_NUM_SOURCES) p->prio[s] = (uint32_t)val & 7;
    } else if (off < ENABLE) {
        return true;                   /* pending bits are read-only */
    } else if (off < CTX) {
        unsigned c = (unsigned)((off - ENABLE) / ENABLE_STRIDE), w = (unsigned)((off - ENABLE) % ENABLE_STRIDE / 4);
        if (c < p->nctx && w < PLIC_NUM_SOURCES / 32) {
            uint64_t mask = 0xffffffffull << (32 * w);
            p->enable[c] = (p->enable[c] & ~mask) | ((uint64_t)(uint32_t)val << (32 * w) & mask);
            p->enable[c] &= ~1ull;
        }
    } else {
        unsigned c = (unsigned)((off - CTX) / CTX_STRIDE), r = (unsigned)((off - CTX) % CTX_STRIDE);
        if (c >= p->nctx) return true;
        if (r == 0) {
            p->threshold[c] = (uint32_t)val & 7;
        } else if (r == 4) {           /* complete */
            unsigned s = (unsigned)val;
            if (s && s < PLIC_NUM_SOURCES && (p->claimed >> s & 1)) {
                p->claimed &= ~(1ull << s);
                if (p->level >> s & 1)
                    p->pending |= 1ull << s;
            }
        }
    }
    update(p);
    return true;
}

const DevOps plic_ops = {.name = "plic", .read = plic_read, .write = plic_write, .reset = plic_reset};
