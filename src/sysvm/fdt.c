/* The flattened device tree writer and checker (Devicetree Specification v0.4, chapter 5). */
#include "sysvm/fdt.h"

#include <stdlib.h>
#include <string.h>

enum { TOK_BEGIN = 1, TOK_END = 2, TOK_PROP = 3, TOK_NOP = 4, TOK_FINISH = 9 };
enum { HDR_SIZE = 40, RSV_SIZE = 16 };

static void fail(Fdt *f, const char *why)
{
    if (!f->failed) {
        f->failed = true;
        strncpy(f->why, why, sizeof f->why - 1);
    }
}

static bool grow(Fdt *f, uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need) {
        if (ncap > ((size_t)1 << 30)) {
            fail(f, "device tree too large");
            return false;
        }
        ncap *= 2;
    }
    uint8_t *nb = alloc_realloc(f->alloc, *buf, *cap, ncap);
    if (!nb) {
        fail(f, "out of memory");
        return false;
    }
    *buf = nb;
    *cap = ncap;
    return true;
}

static void put(Fdt *f, const void *data, size_t len)
{
    if (f->failed || !grow(f, &f->dt, &f->dt_cap, f->dt_len + len + 4))
        return;
    memcpy(f->dt + f->dt_len, data, len);
    f->dt_len += len;
    while (f->dt_len & 3)           /* every token starts 4-aligned */
        f->dt[f->dt_len++] = 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_tok(Fdt *f, uint32_t tok)
{
    uint8_t b[4];
    put_be32(b, tok);
    put(f, b, 4);
}

void fdt_init(Fdt *f, Alloc *alloc)
{
    memset(f, 0, sizeof *f);
    f->next_phandle = 1;
    f->alloc = alloc;
}

void fdt_free(Fdt *f)
{
    alloc_free(f->alloc, f->dt, f->dt_cap);
    alloc_free(f->alloc, f->str, f->str_cap);
    fdt_init(f, f->alloc);
}

void fdt_begin_node(Fdt *f, const char *name)
{
    if (f->depth >= FDT_MAX_DEPTH) {
        fail(f, "nodes nested too deep");
        return;
    }
    if (f->depth == 0 && f->dt_len != 0) {
        fail(f, "a second root node");
        return;
    }
    put_tok(f, TOK_BEGIN);
    put(f, name, strlen(name) + 1);
    f->depth++;
}

void fdt_end_node(Fdt *f)
{
    if (f->depth == 0) {
        fail(f, "end of a node that was not begun");
        return;
    }
    put_tok(f, TOK_END);
    f->depth--;
}

/* Offset of name in the strings block, adding it when new. */
static uint32_t string_off(Fdt *f, const char *name)
{
    size_t n = strlen(name) + 1;
    for (size_t off = 0; off < f->str_len; off += strlen(f->str + off) + 1)
        if (strcmp(f->str + off, name) == 0)
            return (uint32_t)off;
    if (f->failed || !grow(f, (uint8_t **)&f->str, &f->str_cap, f->str_len + n))
        return 0;
    memcpy(f->str + f->str_len, name, n);
    f->str_len += n;
    return (uint32_t)(f->str_len - n);
}

void fdt_prop(Fdt *f, const char *name, const void *data, size_t len)
{
    if (f->depth == 0) {
        fail(f, "property outside any node");
        return;
    }
    if (len > 0xffffffu) {
        fail(f, "property too large");
        return;
    }
    uint8_t hdr[12];
    put_be32(hdr, TOK_PROP);
    put_be32(hdr + 4, (uint32_t)len);
    put_be32(hdr + 8, string_off(f, name));
    put(f, hdr, sizeof hdr);
    if (len)
        put(f, data, len);
}

void fdt_prop_empty(Fdt *f, const char *name)
{
    fdt_prop(f, name, NULL, 0);
}

void fdt_prop_u32(Fdt *f, const char *name, uint32_t v)
{
    uint8_t b[4];
    put_be32(b, v);
    fdt_prop(f, name, b, 4);
}

void fdt_prop_u64(Fdt *f, const char *name, uint64_t v)
{
    uint8_t b[8];
    put_be32(b, (uint32_t)(v >> 32));
    put_be32(b + 4, (uint32_t)v);
    fdt_prop(f, name, b, 8);
}

void fdt_prop_str(Fdt *f, const char *name, const char *s)
{
    fdt_prop(f, name, s, strlen(s) + 1);
}

void fdt_prop_strs(Fdt *f, const char *name, const char *list, size_t len)
{
    if (len == 0 || list[len - 1] != '\0') {
        fail(f, "string list not NUL-terminated");
        return;
    }
    fdt_prop(f, name, list, len);
}

void fdt_prop_cells(Fdt *f, const char *name, const uint32_t *cells, size_t n)
{
    if (n > 4096) {
        fail(f, "too many cells");
        return;
    }
    uint8_t *b = alloc_malloc(f->alloc, n * 4 + 1);
    if (!b) {
        fail(f, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        put_be32(b + 4 * i, cells[i]);
    fdt_prop(f, name, b, n * 4);
    alloc_free(f->alloc, b, n * 4 + 1);
}

uint32_t fdt_alloc_phandle(Fdt *f)
{
    return f->next_phandle++;
}

uint8_t *fdt_finish(Fdt *f, size_t *len, VmError *err)
{
    if (!f->failed && f->depth != 0)
        fail(f, "unclosed node");
    if (!f->failed && f->dt_len == 0)
        fail(f, "no root node");
    put_tok(f, TOK_FINISH);
    if (f->failed) {
        vmerr_setk(err, strstr(f->why, "memory") ? VMERR_NOMEM : VMERR_ARG, "device tree: %s", f->why);
        return NULL;
    }
    size_t off_rsv = HDR_SIZE, off_dt = off_rsv + RSV_SIZE, off_str = off_dt + f->dt_len;
    size_t total = off_str + f->str_len;
    uint8_t *blob = alloc_calloc(f->alloc, 1, total);
    if (!blob) {
        vmerr_setk(err, VMERR_NOMEM, "device tree: out of memory");
        return NULL;
    }
    uint32_t hdr[10] = {FDT_MAGIC, (uint32_t)total, (uint32_t)off_dt, (uint32_t)off_str, (uint32_t)off_rsv,
                        17, 16, 0, (uint32_t)f->str_len, (uint32_t)f->dt_len};
    for (int i = 0; i < 10; i++)
        put_be32(blob + 4 * i, hdr[i]);
    memcpy(blob + off_dt, f->dt, f->dt_len);
    if (f->str_len)
        memcpy(blob + off_str, f->str, f->str_len);
    *len = total;
    return blob;
}

/* ---- checker ---- */

typedef struct Blob {
    const uint8_t *p;
    size_t len;
    size_t dt, dt_len, str, str_len;
} Blob;

static bool blob_open(Blob *b, const uint8_t *p, size_t len, VmError *err)
{
    if (len < HDR_SIZE)
        return vmerr_set(err, "device tree: %zu bytes is shorter than the header", len);
    if (get_be32(p) != FDT_MAGIC)
        return vmerr_set(err, "device tree: bad magic 0x%08x", get_be32(p));
    uint32_t total = get_be32(p + 4), off_dt = get_be32(p + 8), off_str = get_be32(p + 12);
    uint32_t off_rsv = get_be32(p + 16), version = get_be32(p + 20);
    uint32_t str_len = get_be32(p + 32), dt_len = get_be32(p + 36);
    if (total > len || total < HDR_SIZE)
        return vmerr_set(err, "device tree: totalsize %u does not fit in %zu bytes", total, len);
    if (version < 17)
        return vmerr_set(err, "device tree: version %u (need 17)", version);
    if ((off_dt & 3) || off_dt < HDR_SIZE || off_dt > total || dt_len > total - off_dt || (dt_len & 3))
        return vmerr_set(err, "device tree: structure block out of bounds");
    if (off_str > total || str_len > total - off_str)
        return vmerr_set(err, "device tree: strings block out of bounds");
    if ((off_rsv & 7) || off_rsv < HDR_SIZE || off_rsv > total)
        return vmerr_set(err, "device tree: reservation map out of bounds");
    /* The reservation map ends with an all-zero entry, which must lie inside the blob. */
    for (size_t o = off_rsv;; o += 16) {
        if (o + 16 > total)
            return vmerr_set(err, "device tree: unterminated reservation map");
        bool zero = true;
        for (int i = 0; i < 16; i++)
            zero &= p[o + i] == 0;
        if (zero)
            break;
    }
    *b = (Blob){.p = p, .len = total, .dt = off_dt, .dt_len = dt_len, .str = off_str, .str_len = str_len};
    return true;
}

/* Length of the NUL-terminated string at p[off], searching below `end`; -1 if unterminated. */
static long str_in(const uint8_t *p, size_t off, size_t end)
{
    for (size_t i = off; i < end; i++)
        if (p[i] == 0)
            return (long)(i - off);
    return -1;
}

/* One step of the structure walk. On return *pos is past the token; name/data point into the blob. */
typedef struct Tok {
    uint32_t kind;
    const char *name;              /* node name, or property name */
    const uint8_t *data;
    uint32_t len;
} Tok;

static bool next_tok(const Blob *b, size_t *pos, Tok *t, VmError *err)
{
    size_t end = b->dt + b->dt_len;
    if (*pos + 4 > end)
        return vmerr_set(err, "device tree: structure block ends without FDT_END");
    t->kind = get_be32(b->p + *pos);
    *pos += 4;
    switch (t->kind) {
    case TOK_BEGIN: {
        long n = str_in(b->p, *pos, end);
        if (n < 0)
            return vmerr_set(err, "device tree: unterminated node name");
        t->name = (const char *)b->p + *pos;
        *pos += ((size_t)n + 1 + 3) & ~(size_t)3;
        return *pos <= end || vmerr_set(err, "device tree: node name overruns the block");
    }
    case TOK_PROP: {
        if (*pos + 8 > end)
            return vmerr_set(err, "device tree: truncated property");
        t->len = get_be32(b->p + *pos);
        uint32_t nameoff = get_be32(b->p + *pos + 4);
        *pos += 8;
        if (t->len > end - *pos)
            return vmerr_set(err, "device tree: property value overruns the block");
        if (nameoff >= b->str_len || str_in(b->p, b->str + nameoff, b->str + b->str_len) < 0)
            return vmerr_set(err, "device tree: bad property name offset %u", nameoff);
        t->name = (const char *)b->p + b->str + nameoff;
        t->data = b->p + *pos;
        *pos += ((size_t)t->len + 3) & ~(size_t)3;
        return *pos <= end || vmerr_set(err, "device tree: property padding overruns the block");
    }
    case TOK_END: case TOK_NOP: case TOK_FINISH:
        return true;
    default:
        return vmerr_set(err, "device tree: unknown token 0x%x", t->kind);
    }
}

bool fdt_check(const uint8_t *blob, size_t len, VmError *err)
{
    Blob b;
    if (!blob_open(&b, blob, len, err))
        return false;
    size_t pos = b.dt;
    int depth = 0;
    bool seen_root = false;
    for (;;) {
        Tok t;
        if (!next_tok(&b, &pos, &t, err))
            return false;
        switch (t.kind) {
        case TOK_BEGIN:
            if (depth == 0 && seen_root)
                return vmerr_set(err, "device tree: a second root node");
            if (++depth > FDT_MAX_DEPTH)
                return vmerr_set(err, "device tree: nodes nested too deep");
            seen_root = true;
            break;
        case TOK_END:
            if (depth-- == 0)
                return vmerr_set(err, "device tree: unbalanced FDT_END_NODE");
            break;
        case TOK_PROP:
            if (depth == 0)
                return vmerr_set(err, "device tree: property outside any node");
            break;
        case TOK_FINISH:
            if (depth != 0 || !seen_root)
                return vmerr_set(err, "device tree: FDT_END inside a node or without a root");
            return true;
        }
    }
}

const uint8_t *fdt_get_prop(const uint8_t *blob, size_t len, const char *path, const char *prop, uint32_t *plen)
{
    Blob b;
    if (!blob_open(&b, blob, len, NULL) || path[0] != '/')
        return NULL;
    size_t pos = b.dt;
    int depth = 0, matched = 0;      /* matched: how many leading path components the current node matches */
    const char *want = path + 1;     /* the path component still to match, at depth matched+1 */
    for (;;) {
        Tok t;
        if (!next_tok(&b, &pos, &t, NULL))
            return NULL;
        if (t.kind == TOK_FINISH)
            return NULL;
        if (t.kind == TOK_BEGIN) {
            depth++;
            if (depth == 1) {
                matched = 1;     /* the root */
                continue;
            }
            size_t clen = strcspn(want, "/");
            if (depth == matched + 1 && clen && strlen(t.name) == clen && strncmp(t.name, want, clen) == 0) {
                matched = depth;
                want += clen;
                if (*want == '/')
                    want++;
            }
        } else if (t.kind == TOK_END) {
            if (depth == matched && depth > 0) {
                return NULL;     /* left the deepest matched node without finding the rest */
            }
            depth--;
        } else if (t.kind == TOK_PROP && depth == matched && *want == '\0' && strcmp(t.name, prop) == 0) {
            *plen = t.len;
            return t.data;
        }
    }
}
