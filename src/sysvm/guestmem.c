/* Guest RAM and its checked accessors: the single boundary between devices and guest memory. */
#include "sysvm/guestmem.h"

#include <stdlib.h>
#include <string.h>

bool guestmem_init(GuestMem *gm, uint64_t base, uint64_t size, VmError *err)
{
    memset(gm, 0, sizeof *gm);
    if (size == 0 || base + size < base || size > (uint64_t)SIZE_MAX)
        return vmerr_set(err, "guest RAM: bad size %llu at 0x%llx", (unsigned long long)size,
                         (unsigned long long)base);
    /* calloc of a large block maps fresh zero pages lazily: untouched guest RAM costs no host memory. */
    gm->host = calloc(1, (size_t)size);
    if (!gm->host)
        return vmerr_setk(err, VMERR_NOMEM, "guest RAM: cannot allocate %llu MiB", (unsigned long long)(size >> 20));
    gm->base = base;
    gm->size = size;
    return true;
}

void guestmem_fini(GuestMem *gm)
{
    free(gm->host);
    gm->host = NULL;
    gm->size = 0;
}

bool guestmem_contains(const GuestMem *gm, uint64_t addr, uint64_t len)
{
    if (addr < gm->base)
        return false;
    uint64_t off = addr - gm->base;
    return off <= gm->size && len <= gm->size - off;
}

uint8_t *guestmem_ptr(const GuestMem *gm, uint64_t addr, uint64_t len)
{
    if (!gm->host || !guestmem_contains(gm, addr, len))
        return NULL;
    /* SAFETY: [addr, addr+len) was checked to lie inside the RAM buffer just above. */
    return gm->host + (addr - gm->base);
}

void guestmem_written(const GuestMem *gm, uint64_t addr, uint64_t len)
{
    if (gm->on_write && len)
        gm->on_write(gm->opaque, addr, len);
}

bool guestmem_read(const GuestMem *gm, uint64_t addr, void *buf, size_t len)
{
    const uint8_t *p = guestmem_ptr(gm, addr, len);
    if (!p)
        return false;
    memcpy(buf, p, len);
    return true;
}

bool guestmem_write(const GuestMem *gm, uint64_t addr, const void *buf, size_t len)
{
    uint8_t *p = guestmem_ptr(gm, addr, len);
    if (!p)
        return false;
    memcpy(p, buf, len);
    guestmem_written(gm, addr, len);
    return true;
}

/* The host may be big- or little-endian: assemble values byte by byte; compilers fold this to one load. */
static uint64_t load_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

bool guestmem_read_u16(const GuestMem *gm, uint64_t addr, uint16_t *v)
{
    const uint8_t *p = guestmem_ptr(gm, addr, 2);
    if (!p) return false;
    *v = (uint16_t)load_le(p, 2);
    return true;
}

bool guestmem_read_u32(const GuestMem *gm, uint64_t addr, uint32_t *v)
{
    const uint8_t *p = guestmem_ptr(gm, addr, 4);
    if (!p) return false;
    *v = (uint32_t)load_le(p, 4);
    return true;
}

bool guestmem_read_u64(const GuestMem *gm, uint64_t addr, uint64_t *v)
{
    const uint8_t *p = guestmem_ptr(gm, addr, 8);
    if (!p) return false;
    *v = load_le(p, 8);
    return true;
}

bool guestmem_write_u16(const GuestMem *gm, uint64_t addr, uint16_t v)
{
    uint8_t *p = guestmem_ptr(gm, addr, 2);
    if (!p) return false;
    store_le(p, v, 2);
    guestmem_written(gm, addr, 2);
    return true;
}

bool guestmem_write_u32(const GuestMem *gm, uint64_t addr, uint32_t v)
{
    uint8_t *p = guestmem_ptr(gm, addr, 4);
    if (!p) return false;
    store_le(p, v, 4);
    guestmem_written(gm, addr, 4);
    return true;
}
