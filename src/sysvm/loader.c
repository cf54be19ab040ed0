/* Boot image loader: Linux RISC-V Image (Documentation/riscv/boot-image-header.rst), ELF64, raw.
 * Images come from memory (tests) or from a file, read with pread straight into guest RAM: no copy through a
 * buffer or a mapping, and a file truncated meanwhile gives a short read, reported, never a SIGBUS. */
#include "sysvm/loader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Where an image's bytes come from: a buffer (fd < 0) or an open file. */
typedef struct Src {
    const uint8_t *mem;
    int fd;
    uint64_t len;
} Src;

/* Reads exactly n bytes at off, or fails (a file that shrank since it was measured). */
static bool src_read(const Src *s, uint64_t off, void *dst, size_t n)
{
    if (off > s->len || n > s->len - off)
        return false;
    if (s->fd < 0) {
        memcpy(dst, s->mem + off, n);
        return true;
    }
    uint8_t *p = dst;
    while (n) {
        ssize_t r = pread(s->fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return true;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool place(const GuestMem *gm, uint64_t addr, const Src *s, uint64_t off, size_t len, uint64_t memsz,
                  const char *what, VmError *err)
{
    if (!guestmem_contains(gm, addr, memsz) || len > memsz)
        return vmerr_set(err, "%s: %llu bytes at 0x%llx do not fit in guest RAM (0x%llx-0x%llx); use more --mem",
                         what, (unsigned long long)memsz, (unsigned long long)addr, (unsigned long long)gm->base,
                         (unsigned long long)(gm->base + gm->size));
    uint8_t *dst = guestmem_ptr(gm, addr, len);
    if (!dst && len)
        return vmerr_set(err, "%s: cannot write guest RAM", what);
    if (len >= 65536)
        guestmem_prefault(gm, addr, len);
    if (len && !src_read(s, off, dst, len))
        return vmerr_setk(err, VMERR_IO, "%s: short read (the file changed while it was loaded)", what);
    guestmem_written(gm, addr, len);
    return true;
}

static bool load_elf(const GuestMem *gm, const Src *s, const char *what, LoadedImage *out, VmError *err)
{
    uint8_t eh[64];
    if (!src_read(s, 0, eh, sizeof eh) || eh[4] != 2 || eh[5] != 1)
        return vmerr_set(err, "%s: not a little-endian 64-bit ELF", what);
    if (le(eh + 18, 2) != 243)
        return vmerr_set(err, "%s: ELF for machine %u, not RISC-V", what, (unsigned)le(eh + 18, 2));
    uint64_t phoff = le(eh + 32, 8), phentsize = le(eh + 54, 2), phnum = le(eh + 56, 2);
    if (phentsize < 56 || phoff > s->len || phnum > (s->len - phoff) / phentsize)
        return vmerr_set(err, "%s: program headers out of bounds", what);
    out->entry = le(eh + 24, 8);
    out->start = UINT64_MAX;
    out->end = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        uint8_t ph[56];
        if (!src_read(s, phoff + i * phentsize, ph, sizeof ph))
            return vmerr_setk(err, VMERR_IO, "%s: short read (the file changed while it was loaded)", what);
        if (le(ph, 4) != 1)              /* PT_LOAD */
            continue;
        uint64_t off = le(ph + 8, 8), paddr = le(ph + 24, 8), filesz = le(ph + 32, 8), memsz = le(ph + 40, 8);
        if (off > s->len || filesz > s->len - off || filesz > memsz)
            return vmerr_set(err, "%s: segment %llu out of bounds", what, (unsigned long long)i);
        if (!place(gm, paddr, s, off, (size_t)filesz, memsz, what, err))
            return false;
        if (paddr < out->start) out->start = paddr;
        if (paddr + memsz > out->end) out->end = paddr + memsz;
    }
    if (out->end == 0)
        return vmerr_set(err, "%s: ELF has no loadable segment", what);
    return true;
}

static bool load_kernel(const GuestMem *gm, const Src *s, uint64_t load_addr, const char *what, LoadedImage *out,
                        VmError *err)
{
    uint8_t h[64];
    bool have = src_read(s, 0, h, sizeof h);
    if (have && memcmp(h, "\177ELF", 4) == 0)
        return load_elf(gm, s, what, out, err);
    if (!have || memcmp(h + 56, "RSC\x05", 4) != 0)
        return vmerr_set(err, "%s: not a RISC-V Linux Image (no \"RSC\\x05\" magic at offset 56) or RISC-V ELF",
                         what);
    uint64_t image_size = le(h + 16, 8);
    if (image_size < s->len)
        image_size = s->len;
    if (!place(gm, load_addr, s, 0, (size_t)s->len, image_size, what, err))
        return false;
    out->entry = out->start = load_addr;
    out->end = load_addr + image_size;
    return true;
}

static bool load_raw(const GuestMem *gm, const Src *s, uint64_t addr, const char *what, LoadedImage *out,
                     VmError *err)
{
    if (s->len == 0)
        return vmerr_set(err, "%s: empty file", what);
    if (!place(gm, addr, s, 0, (size_t)s->len, s->len, what, err))
        return false;
    out->entry = out->start = addr;
    out->end = addr + s->len;
    return true;
}

bool loader_load_kernel(const GuestMem *gm, const uint8_t *d, size_t len, uint64_t load_addr, const char *what,
                        LoadedImage *out, VmError *err)
{
    Src s = {d, -1, len};
    return load_kernel(gm, &s, load_addr, what, out, err);
}

bool loader_load_raw(const GuestMem *gm, const uint8_t *d, size_t len, uint64_t addr, const char *what,
                     LoadedImage *out, VmError *err)
{
    Src s = {d, -1, len};
    return load_raw(gm, &s, addr, what, out, err);
}

bool loader_load_kernel_fd(const GuestMem *gm, int fd, uint64_t len, uint64_t load_addr, const char *what,
                           LoadedImage *out, VmError *err)
{
    Src s = {NULL, fd, len};
    return load_kernel(gm, &s, load_addr, what, out, err);
}

bool loader_load_raw_fd(const GuestMem *gm, int fd, uint64_t len, uint64_t addr, const char *what,
                        LoadedImage *out, VmError *err)
{
    Src s = {NULL, fd, len};
    return load_raw(gm, &s, addr, what, out, err);
}
