/* Guest RAM and its checked accessors: the single boundary between devices and guest memory. */
#include "sysvm/guestmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HUGE (2ull << 20)

bool guestmem_init(GuestMem *gm, uint64_t base, uint64_t size, VmError *err)
{
    memset(gm, 0, sizeof *gm);
    if (size == 0 || base + size < base || size > (uint64_t)SIZE_MAX)
        return vmerr_set(err, "guest RAM: bad size %llu at 0x%llx", (unsigned long long)size,
                         (unsigned long long)base);
    /* Fresh anonymous pages are zero and backed lazily: untouched guest RAM costs no host memory. The block is
     * 2 MiB aligned (reserved 2 MiB larger, then trimmed) so guest pages and huge pages line up with host ones. */
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    if (size % page || size > (uint64_t)SIZE_MAX - HUGE)
        return vmerr_set(err, "guest RAM: size %llu is not a whole number of pages", (unsigned long long)size);
    uint8_t *p = mmap(NULL, (size_t)(size + HUGE), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    if (p == MAP_FAILED)
        return vmerr_setk(err, VMERR_NOMEM, "guest RAM: cannot allocate %llu MiB", (unsigned long long)(size >> 20));
    uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (a + size < p + size + HUGE)
        munmap(a + size, (size_t)(p + size + HUGE - (a + size)));
    gm->host = a;
    gm->base = base;
    gm->size = size;
    return true;
}

void guestmem_fini(GuestMem *gm)
{
    if (gm->host)
        munmap(gm->host, (size_t)gm->size);
    gm->host = NULL;
    gm->size = 0;
}

void guestmem_prefault(const GuestMem *gm, uint64_t addr, uint64_t len)
{
    uint8_t *p = guestmem_ptr(gm, addr, len);
    if (!p || !len)
        return;
    /* 2 MiB blocks at least half covered by the range may be huge pages (one fault instead of 512): at most
     * 1 MiB at each edge is backed beyond the image, which its guest (a kernel's bss, an initrd below the
     * device tree) mostly touches anyway. Then back the range in one call (Linux 5.14+; where refused, the
     * writer faults pages in as before). */
    uintptr_t base = (uintptr_t)gm->host, end = base + (uintptr_t)gm->size;
    uintptr_t lo = ((uintptr_t)p + HUGE / 2) & ~(uintptr_t)(HUGE - 1);
    uintptr_t hi = ((uintptr_t)p + len + HUGE / 2) & ~(uintptr_t)(HUGE - 1);
    if (lo < base) lo = base;
    if (hi > end) hi = end;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)p & ~(pg - 1);
    madvise((void *)a, (((uintptr_t)p + len - a) + pg - 1) & ~(pg - 1), MADV_POPULATE_WRITE);
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
