/* Boot image loader: Linux RISC-V Image (Documentation/riscv/boot-image-header.rst), ELF64, raw. */
#include "sysvm/loader.h"

#include <string.h>

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool place(const GuestMem *gm, uint64_t addr, const uint8_t *data, size_t len, uint64_t memsz,
                  const char *what, VmError *err)
{
    if (!guestmem_contains(gm, addr, memsz))
        return vmerr_set(err, "%s: %llu bytes at 0x%llx do not fit in guest RAM (0x%llx-0x%llx); use more --mem",
                         what, (unsigned long long)memsz, (unsigned long long)addr, (unsigned long long)gm->base,
                         (unsigned long long)(gm->base + gm->size));
    if (!guestmem_write(gm, addr, data, len))
        return vmerr_set(err, "%s: cannot write guest RAM", what);
    return true;
}

static bool load_elf(const GuestMem *gm, const uint8_t *d, size_t len, const char *what, LoadedImage *out,
                     VmError *err)
{
    if (len < 64 || d[4] != 2 || d[5] != 1)
        return vmerr_set(err, "%s: not a little-endian 64-bit ELF", what);
    if (le(d + 18, 2) != 243)
        return vmerr_set(err, "%s: ELF for machine %u, not RISC-V", what, (unsigned)le(d + 18, 2));
    uint64_t phoff = le(d + 32, 8), phentsize = le(d + 54, 2), phnum = le(d + 56, 2);
    if (phentsize < 56 || phoff > len || phnum > (len - phoff) / phentsize)
        return vmerr_set(err, "%s: program headers out of bounds", what);
    out->entry = le(d + 24, 8);
    out->start = UINT64_MAX;
    out->end = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + i * phentsize;
        if (le(ph, 4) != 1)              /* PT_LOAD */
            continue;
        uint64_t off = le(ph + 8, 8), paddr = le(ph + 24, 8), filesz = le(ph + 32, 8), memsz = le(ph + 40, 8);
        if (off > len || filesz > len - off || filesz > memsz)
            return vmerr_set(err, "%s: segment %llu out of bounds", what, (unsigned long long)i);
        if (!place(gm, paddr, d + off, (size_t)filesz, memsz, what, err))
            return false;
        if (paddr < out->start) out->start = paddr;
        if (paddr + memsz > out->end) out->end = paddr + memsz;
    }
    if (out->end == 0)
        return vmerr_set(err, "%s: ELF has no loadable segment", what);
    return true;
}

bool loader_load_kernel(const GuestMem *gm, const uint8_t *d, size_t len, uint64_t load_addr, const char *what,
                        LoadedImage *out, VmError *err)
{
    if (len >= 4 && memcmp(d, "\177ELF", 4) == 0)
        return load_elf(gm, d, len, what, out, err);
    if (len < 64 || memcmp(d + 56, "RSC\x05", 4) != 0)
        return vmerr_set(err, "%s: not a RISC-V Linux Image (no \"RSC\\x05\" magic at offset 56) or RISC-V ELF",
                         what);
    uint64_t image_size = le(d + 16, 8);
    if (image_size < len)
        image_size = len;
    if (!place(gm, load_addr, d, len, image_size, what, err))
        return false;
    out->entry = out->start = load_addr;
    out->end = load_addr + image_size;
    return true;
}

bool loader_load_raw(const GuestMem *gm, const uint8_t *d, size_t len, uint64_t addr, const char *what,
                     LoadedImage *out, VmError *err)
{
    if (len == 0)
        return vmerr_set(err, "%s: empty file", what);
    if (!place(gm, addr, d, len, len, what, err))
        return false;
    out->entry = out->start = addr;
    out->end = addr + len;
    return true;
}
