/* qcow2 (docs/interop/qcow2.txt in QEMU): opening and checking an image, the cluster map (L1 -> L2 -> data),
 * refcounts, cluster allocation at the end of the file, and reads and writes through them.
 *
 * Metadata is kept in memory (L1 and the refcount table whole, L2 tables in a small cache) and written in an
 * order that keeps the image consistent across a crash: a cluster's refcount is written (through, at once)
 * before anything refers to it, and the references (L2 entries, then L1 entries) are written back at a flush
 * after an fdatasync of what they point to. A crash in between leaves clusters counted but unreferenced:
 * leaks, which `qemu-img check` reports as such and `-r leaks` repairs, never a reference to a free cluster. */
#include "sysvm/backend/qcow2.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysvm/backend/blockfile.h"

#define OFLAG_COPIED (1ull << 63)       /* refcount is exactly 1: write in place */
#define OFLAG_COMPRESSED (1ull << 62)
#define OFLAG_ZERO 1ull                 /* version 3: the cluster reads as zeroes */
#define OFFSET_MASK 0x00fffffffffffe00ull
#define L1_RESERVED 0x7f000000000001ffull
#define L2_RESERVED 0x3f000000000001feull

#define MIN_CLUSTER_BITS 9
#define MAX_CLUSTER_BITS 21
#define MAX_L1_BYTES (32u << 20)        /* QEMU's limits: larger tables are refused as corrupt */
#define MAX_REFTABLE_BYTES (8u << 20)
#define MAX_BACKING_NAME 1023
#define L2_CACHE_BYTES (1u << 20)
#define L2_CACHE_MIN 4
#define L2_CACHE_MAX 16

enum { EXT_END = 0, EXT_BACKING_FORMAT = 0xe2792aca, EXT_FEATURES = 0x6803f857, EXT_BITMAPS = 0x23852875,
       EXT_CRYPTO = 0x0537be77, EXT_DATA_FILE = 0x44415441 };
enum { INCOMPAT_DIRTY = 1, INCOMPAT_CORRUPT = 2, INCOMPAT_DATA_FILE = 4, INCOMPAT_COMPRESSION = 8,
       INCOMPAT_EXTL2 = 16 };

typedef struct L2Slot {
    uint64_t off;                       /* file offset of the table; 0: slot empty */
    uint64_t *t;                        /* entries, host byte order */
    bool dirty;
    uint64_t used;                      /* LRU tick */
} L2Slot;

struct Qcow2 {
    int fd;
    char path[PATH_MAX];
    bool ro;
    unsigned version, cluster_bits, l2_bits, refcount_order;
    uint64_t csize, l2_entries, size;
    uint64_t *l1;                       /* host byte order */
    uint32_t l1_size;
    uint64_t l1_off;
    bool l1_dirty;
    uint64_t *rt;                       /* refcount table, host byte order */
    uint64_t rt_entries, rt_off;
    uint32_t rt_clusters;
    uint64_t rc_per_block;              /* refcount entries in a refcount block */
    uint64_t end;                       /* where the next cluster is allocated: the file's end, cluster-aligned */
    uint64_t max_host;
    uint32_t nb_snapshots;
    struct BlockFile *backing;          /* NULL: unallocated clusters read as zeroes */
    L2Slot slot[L2_CACHE_MAX];
    unsigned nslots;
    uint64_t tick;
    bool l2_dirty;
    uint8_t *buf;                       /* one cluster: copy-on-write and table I/O */
    Alloc *alloc;
    uint64_t refusals;
    char error[200];
};

/* ---- bytes ---- */

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[n - 1 - i] = (uint8_t)(v >> (8 * i));
}

static bool pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) { memset(p, 0, len); return true; }     /* past the end: a cluster not yet written */
        p += n; off += (uint64_t)n; len -= (size_t)n;
    }
    return true;
}

static bool pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n; off += (uint64_t)n; len -= (size_t)n;
    }
    return true;
}

/* Remembers the first runtime failure and returns false. */
static bool fail(Qcow2 *q, const char *what, uint64_t off)
{
    if (!q->error[0])
        snprintf(q->error, sizeof q->error, "%s at 0x%llx", what, (unsigned long long)off);
    return false;
}

static bool sync_file(Qcow2 *q)
{
    return fdatasync(q->fd) == 0 || fail(q, "fdatasync failed", 0);
}

/* ---- refcounts ---- */

/* Entry i of a refcount block image (QEMU's layout: sub-byte widths pack from the low bits, wider ones are
 * big-endian). The position of the byte or bytes holding it goes to *at and *n. */
static uint64_t rc_entry_pos(const Qcow2 *q, uint64_t i, uint64_t *at, unsigned *n)
{
    unsigned bits = 1u << q->refcount_order;
    *at = i * bits / 8;
    *n = bits < 8 ? 1 : bits / 8;
    return bits < 8 ? (i * bits) % 8 : 0;
}

static void rc_set_mem(const Qcow2 *q, uint8_t *blk, uint64_t i, uint64_t v)
{
    uint64_t at;
    unsigned n, bits = 1u << q->refcount_order;
    uint64_t shift = rc_entry_pos(q, i, &at, &n);
    if (bits < 8) {
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);
        blk[at] = (uint8_t)((blk[at] & ~mask) | ((v << shift) & mask));
    } else {
        put_be(blk + at, v, n);
    }
}

/* Writes the refcount of cluster `idx` straight to its refcount block, which must exist. */
static bool rc_set(Qcow2 *q, uint64_t idx, uint64_t v)
{
    uint64_t blk = idx / q->rc_per_block;
    if (blk >= q->rt_entries || !q->rt[blk])
        return fail(q, "no refcount block for cluster", idx << q->cluster_bits);
    uint64_t at;
    unsigned n, bits = 1u << q->refcount_order;
    uint64_t shift = rc_entry_pos(q, idx % q->rc_per_block, &at, &n);
    uint8_t bytes[8];
    uint64_t pos = q->rt[blk] + at;
    if (bits < 8) {
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);
        if (!pread_all(q->fd, bytes, 1, pos))
            return fail(q, "refcount block read failed", pos);
        bytes[0] = (uint8_t)((bytes[0] & ~mask) | ((v << shift) & mask));
    } else {
        put_be(bytes, v, n);
    }
    return pwrite_all(q->fd, bytes, n, pos) || fail(q, "refcount block write failed", pos);
}

static bool limit_ok(Qcow2 *q, uint64_t new_end)
{
    if (q->max_host && new_end > q->max_host) {
        q->refusals++;
        return false;
    }
    return true;
}

/* The refcount table is full: a larger one goes at the end of the file, after it the refcount blocks that
 * the new clusters themselves need (counted to a fixed point), then the header is switched to it and the old
 * table's clusters are freed. Each step is synced before the next refers to it. */
static bool grow_reftable(Qcow2 *q)
{
    uint64_t per = q->rc_per_block, cs = q->csize;
    uint64_t nt = (uint64_t)q->rt_clusters * 2;
    if (nt * cs > MAX_REFTABLE_BYTES)
        return fail(q, "refcount table would exceed 8 MiB", q->end);
    uint64_t new_entries = nt * cs / 8, s = q->end / cs, nb = 0;
    for (;;) {
        uint64_t missing = 0;
        for (uint64_t b = s / per; b <= (s + nt + nb - 1) / per; b++)
            missing += b >= q->rt_entries || !q->rt[b];
        if (missing == nb)
            break;
        nb = missing;
    }
    if (!limit_ok(q, (s + nt + nb) * cs))
        return false;
    if ((s + nt + nb - 1) / per >= new_entries)
        return fail(q, "refcount table growth does not converge", q->end);
    uint64_t *rt = alloc_calloc(q->alloc, new_entries, 8);
    if (!rt)
        return fail(q, "out of memory for the refcount table", q->end);
    memcpy(rt, q->rt, q->rt_entries * 8);
    uint64_t k = 0;
    bool ok = true;
    for (uint64_t b = s / per; ok && b <= (s + nt + nb - 1) / per; b++) {
        if (b < q->rt_entries && q->rt[b])
            continue;
        rt[b] = (s + nt + k++) * cs;
        memset(q->buf, 0, cs);
        for (uint64_t c = s; c < s + nt + nb; c++)
            if (c / per == b)
                rc_set_mem(q, q->buf, c % per, 1);
        ok = pwrite_all(q->fd, q->buf, cs, rt[b]);
    }
    for (uint64_t c = s; ok && c < s + nt + nb; c++)
        if (c / per < q->rt_entries && q->rt[c / per])
            ok = rc_set(q, c, 1);
    for (uint64_t done = 0; ok && done < new_entries * 8; done += cs) {
        for (uint64_t i = 0; i < cs / 8; i++)
            put_be(q->buf + 8 * i, rt[done / 8 + i], 8);
        ok = pwrite_all(q->fd, q->buf, cs, s * cs + done);
    }
    uint8_t hdr[12];
    put_be(hdr, s * cs, 8);
    put_be(hdr + 8, nt, 4);
    if (!ok || !sync_file(q) || !pwrite_all(q->fd, hdr, 12, 48) || !sync_file(q)) {
        alloc_free(q->alloc, rt, new_entries * 8);
        return fail(q, "refcount table growth failed", s * cs);
    }
    uint64_t old_off = q->rt_off, old_clusters = q->rt_clusters;
    alloc_free(q->alloc, q->rt, q->rt_entries * 8);
    q->rt = rt;
    q->rt_entries = new_entries;
    q->rt_off = s * cs;
    q->rt_clusters = (uint32_t)nt;
    q->end = (s + nt + nb) * cs;
    for (uint64_t c = 0; c < old_clusters; c++)
        if (!rc_set(q, old_off / cs + c, 0))
            return false;
    return true;
}

/* One new cluster at the end of the file, its refcount (1) written before it is returned. A missing
 * refcount block is made at the end first, covering itself. */
static bool alloc_cluster(Qcow2 *q, uint64_t *off)
{
    uint64_t cs = q->csize;
    for (;;) {
        if (!limit_ok(q, q->end + cs))
            return false;
        uint64_t idx = q->end / cs, blk = idx / q->rc_per_block;
        if (blk >= q->rt_entries) {
            if (!grow_reftable(q))
                return false;
            continue;
        }
        if (!q->rt[blk]) {
            memset(q->buf, 0, cs);
            rc_set_mem(q, q->buf, idx % q->rc_per_block, 1);
            uint8_t e[8];
            put_be(e, q->end, 8);
            if (!pwrite_all(q->fd, q->buf, cs, q->end) || !pwrite_all(q->fd, e, 8, q->rt_off + blk * 8))
                return fail(q, "refcount block write failed", q->end);
            q->rt[blk] = q->end;
            q->end += cs;
            continue;
        }
        if (!rc_set(q, idx, 1))
            return false;
        *off = q->end;
        q->end += cs;
        return true;
    }
}

/* ---- the cluster map ---- */

/* Whether a table or data cluster offset may be used: aligned, inside the file, not the header cluster and
 * not the L1 or refcount table (a hostile image pointing guest data at its own tables). */
static bool cluster_ok(const Qcow2 *q, uint64_t off)
{
    if (off & (q->csize - 1) || off >= q->end || off < q->csize)
        return false;
    if (off + q->csize > q->l1_off && off < q->l1_off + (uint64_t)q->l1_size * 8)
        return false;
    return !(off + q->csize > q->rt_off && off < q->rt_off + (uint64_t)q->rt_clusters * q->csize);
}

/* Why an L2 entry is unusable, or NULL. */
static const char *l2_entry_problem(const Qcow2 *q, uint64_t e)
{
    if (e & OFLAG_COMPRESSED)
        return "compressed clusters (qemu-img convert -c) are not supported: convert the image without -c";
    if (e & L2_RESERVED)
        return "reserved bits set in an L2 entry";
    if ((e & OFLAG_ZERO) && q->version < 3)
        return "zero flag in a version 2 image";
    uint64_t off = e & OFFSET_MASK;
    if (off && !cluster_ok(q, off))
        return "L2 entry points outside the image's data area";
    if (!off && (e & OFLAG_COPIED) && !(e & OFLAG_ZERO))
        return "copied flag on an unallocated cluster";
    return NULL;
}

static bool l2_load(Qcow2 *q, uint64_t off, uint64_t *t)
{
    if (!pread_all(q->fd, q->buf, q->csize, off))
        return fail(q, "L2 table read failed", off);
    for (uint64_t i = 0; i < q->l2_entries; i++) {
        t[i] = be(q->buf + 8 * i, 8);
        if (l2_entry_problem(q, t[i]))
            return fail(q, l2_entry_problem(q, t[i]), off + 8 * i);
    }
    return true;
}

static bool l2_store(Qcow2 *q, L2Slot *s)
{
    for (uint64_t i = 0; i < q->l2_entries; i++)
        put_be(q->buf + 8 * i, s->t[i], 8);
    if (!pwrite_all(q->fd, q->buf, q->csize, s->off))
        return fail(q, "L2 table write failed", s->off);
    s->dirty = false;
    return true;
}

/* A free cache slot, writing back the least recently used table if it is dirty (after a sync, so that what
 * its entries point to is on disk first). */
static L2Slot *l2_victim(Qcow2 *q)
{
    L2Slot *v = &q->slot[0];
    for (unsigned i = 0; i < q->nslots; i++) {
        if (!q->slot[i].off)
            return &q->slot[i];
        if (q->slot[i].used < v->used)
            v = &q->slot[i];
    }
    if (v->dirty && (!sync_file(q) || !l2_store(q, v)))
        return NULL;
    v->off = 0;
    return v;
}

/* The L2 table for L1 entry i: NULL when unallocated (and !create) or on failure (q->error says which; *err
 * is set then). With create, an unallocated table is allocated, zeroed, and marked for writing back. */
static L2Slot *l2_get(Qcow2 *q, uint64_t i, bool create, bool *err)
{
    *err = false;
    uint64_t off = q->l1[i] & OFFSET_MASK;
    if (off) {
        for (unsigned k = 0; k < q->nslots; k++)
            if (q->slot[k].off == off) {
                q->slot[k].used = ++q->tick;
                return &q->slot[k];
            }
    } else if (!create) {
        return NULL;
    }
    L2Slot *s = l2_victim(q);
    if (!s) {
        *err = true;
        return NULL;
    }
    if (off) {
        if (!l2_load(q, off, s->t)) {
            *err = true;
            return NULL;
        }
    } else {
        if (!alloc_cluster(q, &off)) {
            *err = true;
            return NULL;
        }
        memset(s->t, 0, q->csize);
        s->dirty = q->l2_dirty = true;
        q->l1[i] = off | OFLAG_COPIED;
        q->l1_dirty = true;
    }
    s->off = off;
    s->used = ++q->tick;
    return s;
}

/* The L2 entry mapping guest offset `voff` (0: unallocated). */
static bool entry_of(Qcow2 *q, uint64_t voff, uint64_t *e)
{
    bool err;
    L2Slot *s = l2_get(q, voff >> (q->cluster_bits + q->l2_bits), false, &err);
    *e = s ? s->t[(voff >> q->cluster_bits) & (q->l2_entries - 1)] : 0;
    return !err;
}

/* ---- reads and writes ---- */

/* Bytes of an unallocated cluster: the backing file's (zeroes past its end), or zeroes. */
static bool read_below(Qcow2 *q, uint64_t voff, uint8_t *buf, size_t n)
{
    size_t have = 0;
    if (q->backing && voff < q->backing->size) {
        have = q->backing->size - voff < n ? (size_t)(q->backing->size - voff) : n;
        if (!blockfile_read(q->backing, voff, buf, have))
            return fail(q, "backing file read failed", voff);
    }
    memset(buf + have, 0, n - have);
    return true;
}

bool qcow2_read(Qcow2 *q, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        uint64_t in = off & (q->csize - 1);
        size_t n = q->csize - in < len ? (size_t)(q->csize - in) : len;
        uint64_t e;
        if (!entry_of(q, off, &e))
            return false;
        if (e & OFLAG_ZERO)
            memset(p, 0, n);
        else if (!(e & OFFSET_MASK)) {
            if (!read_below(q, off, p, n))
                return false;
        } else if (!pread_all(q->fd, p, n, (e & OFFSET_MASK) + in))
            return fail(q, "data cluster read failed", e & OFFSET_MASK);
        p += n; off += n; len -= n;
    }
    return true;
}

/* Writes n bytes at offset `in` of the cluster holding guest offset voff (n <= cluster size - in). */
static bool write_cluster(Qcow2 *q, uint64_t voff, uint64_t in, const uint8_t *data, size_t n)
{
    bool err;
    L2Slot *s = l2_get(q, voff >> (q->cluster_bits + q->l2_bits), true, &err);
    if (!s)
        return false;
    uint64_t *e = &s->t[(voff >> q->cluster_bits) & (q->l2_entries - 1)];
    uint64_t host = *e & OFFSET_MASK;
    if (host && (*e & OFLAG_COPIED) && !(*e & OFLAG_ZERO))
        return pwrite_all(q->fd, data, n, host + in) || fail(q, "data cluster write failed", host);
    if (host && !(*e & OFLAG_COPIED))
        return fail(q, "write to a shared cluster", host);       /* refused at open; never reached */
    /* A new cluster first (allocation may use q->buf), then its other bytes: zeroes for a zero cluster,
     * else what lies below. */
    if (!host && !alloc_cluster(q, &host))
        return false;
    uint64_t cstart = voff - in;
    if (n < q->csize) {
        if (*e & OFLAG_ZERO)
            memset(q->buf, 0, q->csize);
        else if (!read_below(q, cstart, q->buf, q->csize))
            return false;
    }
    memcpy(q->buf + in, data, n);
    if (!pwrite_all(q->fd, q->buf, q->csize, host))
        return fail(q, "data cluster write failed", host);
    *e = host | OFLAG_COPIED;
    s->dirty = q->l2_dirty = true;
    return true;
}

bool qcow2_write(Qcow2 *q, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (q->ro)
        return false;
    while (len) {
        uint64_t in = off & (q->csize - 1);
        size_t n = q->csize - in < len ? (size_t)(q->csize - in) : len;
        if (!write_cluster(q, off, in, p, n))
            return false;
        p += n; off += n; len -= n;
    }
    return true;
}

bool qcow2_write_zeroes(Qcow2 *q, uint64_t off, uint64_t len)
{
    static const uint8_t zero[4096];
    if (q->ro)
        return false;
    while (len) {
        uint64_t in = off & (q->csize - 1);
        uint64_t n = q->csize - in < len ? q->csize - in : len;
        uint64_t e;
        if (!entry_of(q, off, &e))
            return false;
        bool reads_zero = (e & OFLAG_ZERO) || (!e && !q->backing);
        if (reads_zero) {
            /* nothing to do */
        } else if (n == q->csize && q->version >= 3) {
            bool err;
            L2Slot *s = l2_get(q, off >> (q->cluster_bits + q->l2_bits), true, &err);
            if (!s)
                return false;
            uint64_t *pe = &s->t[(off >> q->cluster_bits) & (q->l2_entries - 1)];
            /* An allocated cluster stays allocated (a "zero, allocated" entry): nothing is freed, so no
             * refcount changes and no reference to a freed cluster can survive a crash. */
            *pe = (*pe & OFFSET_MASK) ? (*pe & OFFSET_MASK) | OFLAG_COPIED | OFLAG_ZERO : OFLAG_ZERO;
            s->dirty = q->l2_dirty = true;
        } else {
            for (uint64_t done = 0; done < n;) {
                size_t k = n - done < sizeof zero ? (size_t)(n - done) : sizeof zero;
                if (!qcow2_write(q, off + done, zero, k))
                    return false;
                done += k;
            }
        }
        off += n; len -= n;
    }
    return true;
}

bool qcow2_flush(Qcow2 *q)
{
    if (q->ro)
        return true;
    if (!sync_file(q))                  /* data and refcounts first */
        return false;
    if (q->l2_dirty) {
        for (unsigned i = 0; i < q->nslots; i++)
            if (q->slot[i].off && q->slot[i].dirty && !l2_store(q, &q->slot[i]))
                return false;
        q->l2_dirty = false;
        if (!sync_file(q))
            return false;
    }
    if (q->l1_dirty) {
        uint64_t per = q->csize / 8;
        for (uint64_t i = 0; i < q->l1_size; i += per) {
            uint64_t k = q->l1_size - i < per ? q->l1_size - i : per;
            for (uint64_t j = 0; j < k; j++)
                put_be(q->buf + 8 * j, q->l1[i + j], 8);
            if (!pwrite_all(q->fd, q->buf, k * 8, q->l1_off + i * 8))
                return fail(q, "L1 table write failed", q->l1_off);
        }
        q->l1_dirty = false;
        if (!sync_file(q))
            return false;
    }
    return true;
}

uint64_t qcow2_host_bytes(const Qcow2 *q)
{
    return q->end;
}

uint64_t qcow2_limit_refusals(const Qcow2 *q)
{
    return q->refusals;
}

const char *qcow2_error(const Qcow2 *q)
{
    return q->error;
}

bool qcow2_probe(const uint8_t *first4)
{
    return first4[0] == 'Q' && first4[1] == 'F' && first4[2] == 'I' && first4[3] == 0xfb;
}

/* ---- opening ---- */

static bool refuse(VmError *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool refuse(VmError *err, const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vmerr_setk(err, VMERR_IO, "qcow2 image %s: %s", path, msg);
}

typedef struct Header {
    unsigned version, cluster_bits, refcount_order, header_length;
    uint64_t backing_off, size, l1_off, rt_off, snapshots_off, incompat, autoclear;
    uint32_t backing_len, crypt, l1_size, rt_clusters, nb_snapshots;
} Header;

/* The fixed header: every field checked against QEMU's limits and the file's size before anything is
 * allocated from it. */
static bool parse_header(const uint8_t *h, uint64_t fsize, bool ro, const char *path, Header *o, VmError *err)
{
    o->version = (unsigned)be(h + 4, 4);
    if (o->version != 2 && o->version != 3)
        return refuse(err, path, "version %u (Lodge reads versions 2 and 3)", o->version);
    o->backing_off = be(h + 8, 8);
    o->backing_len = (uint32_t)be(h + 16, 4);
    o->cluster_bits = (unsigned)be(h + 20, 4);
    o->size = be(h + 24, 8);
    o->crypt = (uint32_t)be(h + 32, 4);
    o->l1_size = (uint32_t)be(h + 36, 4);
    o->l1_off = be(h + 40, 8);
    o->rt_off = be(h + 48, 8);
    o->rt_clusters = (uint32_t)be(h + 56, 4);
    o->nb_snapshots = (uint32_t)be(h + 60, 4);
    o->snapshots_off = be(h + 64, 8);
    o->incompat = o->version >= 3 ? be(h + 72, 8) : 0;
    o->autoclear = o->version >= 3 ? be(h + 88, 8) : 0;
    o->refcount_order = o->version >= 3 ? (unsigned)be(h + 96, 4) : 4;
    o->header_length = o->version >= 3 ? (unsigned)be(h + 100, 4) : 72;
    if (o->cluster_bits < MIN_CLUSTER_BITS || o->cluster_bits > MAX_CLUSTER_BITS)
        return refuse(err, path, "cluster_bits %u out of range (9 to 21)", o->cluster_bits);
    uint64_t cs = 1ull << o->cluster_bits;
    if (o->crypt)
        return refuse(err, path, "encrypted (method %u): Lodge does not decrypt images; "
                                 "qemu-img convert -O qcow2 it to a plain image", o->crypt);
    if (o->incompat & INCOMPAT_DATA_FILE)
        return refuse(err, path, "its data lives in an external data file, which Lodge does not support");
    if (o->incompat & INCOMPAT_EXTL2)
        return refuse(err, path, "extended L2 entries (subclusters) are not supported");
    if (o->incompat & ~(uint64_t)(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION))
        return refuse(err, path, "unknown incompatible feature bits 0x%llx", (unsigned long long)o->incompat);
    if (!ro && (o->incompat & INCOMPAT_CORRUPT))
        return refuse(err, path, "marked corrupt by QEMU: repair it (qemu-img check -r all) or open it read-only");
    if (!ro && (o->incompat & INCOMPAT_DIRTY))
        return refuse(err, path, "dirty (lazy refcounts, not closed cleanly): run qemu-img check -r all first");
    if (o->refcount_order > 6)
        return refuse(err, path, "refcount_order %u out of range (0 to 6)", o->refcount_order);
    if (o->version >= 3 && (o->header_length < 104 || o->header_length > cs || o->header_length % 8))
        return refuse(err, path, "header_length %u invalid", o->header_length);
    if (o->size > (1ull << 56))
        return refuse(err, path, "virtual size %llu too large", (unsigned long long)o->size);
    uint64_t per_l2 = cs / 8 * cs;
    uint64_t need = (o->size + per_l2 - 1) / per_l2;
    if (o->l1_size < need || (uint64_t)o->l1_size * 8 > MAX_L1_BYTES)
        return refuse(err, path, "L1 table of %u entries does not fit a %llu-byte disk (corrupt)", o->l1_size,
                      (unsigned long long)o->size);
    if (o->l1_off % cs || (o->l1_size && (o->l1_off < cs || o->l1_off + (uint64_t)o->l1_size * 8 > fsize)))
        return refuse(err, path, "L1 table offset 0x%llx invalid or past the end of the file",
                      (unsigned long long)o->l1_off);
    if (!o->rt_clusters || (uint64_t)o->rt_clusters * cs > MAX_REFTABLE_BYTES || o->rt_off % cs ||
        o->rt_off < cs || o->rt_off + (uint64_t)o->rt_clusters * cs > fsize + cs - 1)
        return refuse(err, path, "refcount table (offset 0x%llx, %u clusters) invalid or past the end of the file",
                      (unsigned long long)o->rt_off, o->rt_clusters);
    if (o->backing_off && (o->backing_len > MAX_BACKING_NAME || o->backing_off > cs ||
                           o->backing_off + o->backing_len > cs || o->backing_off + o->backing_len > fsize))
        return refuse(err, path, "backing file name (offset %llu, %u bytes) invalid",
                      (unsigned long long)o->backing_off, o->backing_len);
    if (o->nb_snapshots && (o->snapshots_off % cs || o->snapshots_off >= fsize))
        return refuse(err, path, "snapshot table offset 0x%llx invalid", (unsigned long long)o->snapshots_off);
    if (!ro && o->nb_snapshots)
        return refuse(err, path, "has %u internal snapshot(s), whose clusters Lodge does not copy on write: open it "
                                 "read-only, or give the machine an overlay (qemu-img create -b)", o->nb_snapshots);
    return true;
}

/* Header extensions (after the header, inside the first cluster): the backing file's format, and the
 * refusals that cannot wait for a data access. */
static bool parse_extensions(const uint8_t *c, uint64_t clen, const Header *h, const char *path, char *fmt,
                             size_t fmtlen, VmError *err)
{
    fmt[0] = '\0';
    for (uint64_t at = h->header_length; at + 8 <= clen;) {
        uint32_t type = (uint32_t)be(c + at, 4), len = (uint32_t)be(c + at + 4, 4);
        if (type == EXT_END)
            break;
        if (len > clen - at - 8)
            return refuse(err, path, "header extension 0x%08x runs past the first cluster", type);
        if (type == EXT_BACKING_FORMAT) {
            if (len >= fmtlen || memchr(c + at + 8, 0, len))
                return refuse(err, path, "backing format name invalid");
            memcpy(fmt, c + at + 8, len);
            fmt[len] = '\0';
        } else if (type == EXT_DATA_FILE) {
            return refuse(err, path, "its data lives in an external data file, which Lodge does not support");
        } else if (type == EXT_CRYPTO) {
            return refuse(err, path, "encrypted (LUKS): Lodge does not decrypt images");
        }
        at += 8 + ((uint64_t)len + 7) / 8 * 8;
    }
    return true;
}

/* The backing file's path as QEMU resolves it: absolute as written, else relative to the directory of the
 * image that names it. Protocols (nbd:, json:...) are refused. */
static bool backing_path(const char *image, const char *name, char *out, size_t n, VmError *err)
{
    const char *colon = strchr(name, ':'), *slash = strchr(name, '/');
    if (colon && (!slash || colon < slash))
        return refuse(err, image, "backing file \"%s\" names a protocol, which Lodge does not support", name);
    if (!name[0])
        return refuse(err, image, "empty backing file name");
    const char *dir_end = strrchr(image, '/');
    int len;
    if (name[0] == '/' || !dir_end)
        len = snprintf(out, n, "%s", name);
    else
        len = snprintf(out, n, "%.*s/%s", (int)(dir_end - image), image, name);
    return (len > 0 && (size_t)len < n) || refuse(err, image, "backing file path too long");
}

static bool load_tables(Qcow2 *q, const char *path, VmError *err)
{
    uint64_t cs = q->csize;
    if (!(q->l1 = alloc_calloc(q->alloc, q->l1_size ? q->l1_size : 1, 8)) ||
        !(q->rt = alloc_calloc(q->alloc, q->rt_entries, 8)) || !(q->buf = alloc_malloc(q->alloc, cs)))
        return vmerr_setk(err, VMERR_NOMEM, "qcow2 image %s: out of memory for its tables", path);
    uint64_t l2_tables = 0;
    for (uint64_t i = 0; i < q->l1_size; i += cs / 8) {
        uint64_t k = q->l1_size - i < cs / 8 ? q->l1_size - i : cs / 8;
        if (!pread_all(q->fd, q->buf, k * 8, q->l1_off + i * 8))
            return refuse(err, path, "cannot read the L1 table: %s", strerror(errno));
        for (uint64_t j = 0; j < k; j++) {
            uint64_t e = q->l1[i + j] = be(q->buf + 8 * j, 8);
            if (e & L1_RESERVED)
                return refuse(err, path, "L1 entry %llu has reserved bits set (corrupt)", (unsigned long long)(i + j));
            if ((e & OFFSET_MASK) && !cluster_ok(q, e & OFFSET_MASK))
                return refuse(err, path, "L1 entry %llu points outside the image (corrupt)", (unsigned long long)(i + j));
            if ((e & OFFSET_MASK) && !q->ro && !(e & OFLAG_COPIED))
                return refuse(err, path, "L2 table %llu is shared (no copied flag): open it read-only",
                              (unsigned long long)(i + j));
            l2_tables += (e & OFFSET_MASK) != 0;
        }
    }
    /* A table read per distinct cluster at most: more L1 references than clusters is corrupt, and bounds
     * the scan below by the file's size. */
    if (l2_tables > q->end / cs)
        return refuse(err, path, "more L2 tables than clusters (corrupt)");
    for (uint64_t i = 0; i < q->rt_entries; i += cs / 8) {
        if (!pread_all(q->fd, q->buf, cs, q->rt_off + i * 8))
            return refuse(err, path, "cannot read the refcount table: %s", strerror(errno));
        for (uint64_t j = 0; j < cs / 8; j++) {
            uint64_t e = q->rt[i + j] = be(q->buf + 8 * j, 8);
            if (e % cs || e >= q->end)
                return refuse(err, path, "refcount table entry %llu invalid (corrupt)", (unsigned long long)(i + j));
        }
    }
    for (uint64_t i = 0; i < q->l1_size; i++) {
        uint64_t off = q->l1[i] & OFFSET_MASK;
        if (!off)
            continue;
        if (!pread_all(q->fd, q->buf, cs, off))
            return refuse(err, path, "cannot read an L2 table: %s", strerror(errno));
        for (uint64_t j = 0; j < q->l2_entries; j++) {
            uint64_t e = be(q->buf + 8 * j, 8);
            const char *why = l2_entry_problem(q, e);
            if (why)
                return refuse(err, path, "%s (L2 table at 0x%llx, entry %llu)", why, (unsigned long long)off,
                              (unsigned long long)j);
            if ((e & OFFSET_MASK) && !q->ro && !(e & OFLAG_COPIED))
                return refuse(err, path, "cluster shared with a snapshot or another image (no copied flag): "
                                         "open it read-only");
        }
    }
    q->nslots = (unsigned)(L2_CACHE_BYTES / cs);
    q->nslots = q->nslots < L2_CACHE_MIN ? L2_CACHE_MIN : q->nslots > L2_CACHE_MAX ? L2_CACHE_MAX : q->nslots;
    for (unsigned i = 0; i < q->nslots; i++)
        if (!(q->slot[i].t = alloc_malloc(q->alloc, cs)))
            return vmerr_setk(err, VMERR_NOMEM, "qcow2 image %s: out of memory for its L2 cache", path);
    return true;
}

static bool open_backing(Qcow2 *q, const Header *h, const uint8_t *first, const char *fmt, unsigned depth,
                         VmError *err)
{
    char name[MAX_BACKING_NAME + 1], full[PATH_MAX];
    memcpy(name, first + h->backing_off, h->backing_len);
    name[h->backing_len] = '\0';
    if (strlen(name) != h->backing_len)
        return refuse(err, q->path, "backing file name contains a NUL byte");
    if (fmt[0] && strcmp(fmt, "raw") && strcmp(fmt, "qcow2"))
        return refuse(err, q->path, "backing file format \"%s\" (Lodge reads raw and qcow2)", fmt);
    if (depth + 1 > QCOW2_MAX_CHAIN)
        return refuse(err, q->path, "backing chain deeper than %d images (a loop?)", QCOW2_MAX_CHAIN);
    if (!backing_path(q->path, name, full, sizeof full, err))
        return false;
    if (!(q->backing = alloc_calloc(q->alloc, 1, sizeof *q->backing)))
        return vmerr_setk(err, VMERR_NOMEM, "out of memory");
    VmError e;
    if (!blockfile_open_backing(q->backing, full, fmt[0] ? fmt : NULL, q->alloc, depth + 1, &e)) {
        alloc_free(q->alloc, q->backing, sizeof *q->backing);
        q->backing = NULL;
        return vmerr_setk(err, e.kind, "qcow2 image %s: backing file: %s", q->path, e.msg);
    }
    return true;
}

Qcow2 *qcow2_open(int fd, const char *path, bool ro, uint64_t max_host_bytes, Alloc *alloc, unsigned depth,
                  uint64_t *size, VmError *err)
{
    off_t fsize = lseek(fd, 0, SEEK_END);
    uint8_t hdr[104];
    Header h = {0};
    if (fsize < 0 || !pread_all(fd, hdr, sizeof hdr, 0)) {
        refuse(err, path, "cannot read the header: %s", strerror(errno));
        return NULL;
    }
    if (!qcow2_probe(hdr) || !parse_header(hdr, (uint64_t)fsize, ro, path, &h, err)) {
        if (!qcow2_probe(hdr))
            refuse(err, path, "no qcow2 magic");
        return NULL;
    }
    Qcow2 *q = alloc_calloc(alloc, 1, sizeof *q);
    if (!q) {
        vmerr_setk(err, VMERR_NOMEM, "out of memory");
        return NULL;
    }
    q->alloc = alloc;
    q->fd = fd;
    snprintf(q->path, sizeof q->path, "%s", path);
    q->ro = ro;
    q->version = h.version;
    q->cluster_bits = h.cluster_bits;
    q->csize = 1ull << h.cluster_bits;
    q->l2_bits = h.cluster_bits - 3;
    q->l2_entries = q->csize / 8;
    q->refcount_order = h.refcount_order;
    q->rc_per_block = q->csize * 8 >> h.refcount_order;
    q->size = h.size;
    q->l1_size = h.l1_size;
    q->l1_off = h.l1_off;
    q->rt_off = h.rt_off;
    q->rt_clusters = h.rt_clusters;
    q->rt_entries = (uint64_t)h.rt_clusters * q->csize / 8;
    q->nb_snapshots = h.nb_snapshots;
    q->max_host = max_host_bytes;
    q->end = ((uint64_t)fsize + q->csize - 1) & ~(q->csize - 1);
    char fmt[17];
    if (!load_tables(q, path, err))
        goto fail;
    uint64_t first_len = q->csize < (uint64_t)fsize ? q->csize : (uint64_t)fsize;
    if (!pread_all(fd, q->buf, first_len, 0)) {
        refuse(err, path, "cannot read the first cluster: %s", strerror(errno));
        goto fail;
    }
    if (!parse_extensions(q->buf, first_len, &h, path, fmt, sizeof fmt, err))
        goto fail;
    if (h.backing_off && h.backing_len && !open_backing(q, &h, q->buf, fmt, depth, err))
        goto fail;
    if (!ro && h.autoclear) {
        /* Bits we do not maintain (persistent bitmaps) must be cleared by a writer that does not know them. */
        uint8_t zero[8] = {0};
        if (!pwrite_all(fd, zero, 8, 88) || fdatasync(fd) != 0) {
            refuse(err, path, "cannot update the header: %s", strerror(errno));
            goto fail;
        }
    }
    *size = q->size;
    return q;
fail:
    q->ro = true;                   /* nothing to write back */
    qcow2_close(q);
    return NULL;
}

void qcow2_close(Qcow2 *q)
{
    if (!q)
        return;
    qcow2_flush(q);
    if (q->backing) {
        blockfile_close(q->backing);
        alloc_free(q->alloc, q->backing, sizeof *q->backing);
    }
    for (unsigned i = 0; i < q->nslots; i++)
        alloc_free(q->alloc, q->slot[i].t, q->csize);
    alloc_free(q->alloc, q->buf, q->buf ? q->csize : 0);
    alloc_free(q->alloc, q->l1, q->l1 ? (q->l1_size ? q->l1_size : 1) * 8ull : 0);
    alloc_free(q->alloc, q->rt, q->rt ? q->rt_entries * 8 : 0);
    Alloc *a = q->alloc;
    alloc_free(a, q, sizeof *q);
}
