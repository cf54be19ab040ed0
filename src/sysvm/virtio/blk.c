/* virtio-blk request handling (virtio 1.x, 5.2). Requests run to completion when the driver kicks the queue:
 * the disk is a host file, and pread/pwrite are fast enough to do in line. A request the rate limiter holds
 * back stays taken from the queue, and nothing after it is taken, until the limiter's time comes: the run
 * loop polls the device then (wake_at), so a throttled guest costs no host CPU while it waits. */
#include "sysvm/virtio/blk.h"

#include <string.h>

#include "sysvm/backend/host.h"

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
enum { F_SEG_MAX = 2, F_RO = 5, F_BLK_SIZE = 6, F_FLUSH = 9, F_DISCARD = 13, F_WRITE_ZEROES = 14 };
#define SECTOR 512u
#define MAX_SEGS 32u
#define CHUNK 65536u

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool in_disk(const VirtioBlk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t cap = b->file->size / SECTOR * SECTOR;
    return sector <= cap / SECTOR && bytes <= cap - sector * SECTOR;
}

/* Data of an IN request goes to the writable part, before the status byte. */
static uint8_t do_read(VirtioBlk *b, const VirtqChain *c, uint64_t sector, uint32_t *written)
{
    uint64_t len = c->in_len - 1;
    if (len % SECTOR || !in_disk(b, sector, len))
        return S_IOERR;
    uint8_t buf[CHUNK];
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done < CHUNK ? len - done : CHUNK;
        if (!blockfile_read(b->file, sector * SECTOR + done, buf, n))
            return S_IOERR;
        virtio_queue_chain_write(c, b->vdev.mem, done, buf, n);
        done += n;
    }
    *written = (uint32_t)len;
    b->reads++;
    b->read_bytes += len;
    return S_OK;
}

static uint8_t do_write(VirtioBlk *b, const VirtqChain *c, uint64_t sector)
{
    uint64_t len = c->out_len - 16;
    if (b->file->ro)
        return S_IOERR;
    if (len % SECTOR || !in_disk(b, sector, len))
        return S_IOERR;
    uint8_t buf[CHUNK];
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done < CHUNK ? len - done : CHUNK;
        if (virtio_queue_chain_read(c, b->vdev.mem, 16 + done, buf, n) != n ||
            !blockfile_write(b->file, sector * SECTOR + done, buf, n))
            return S_IOERR;
        done += n;
    }
    b->writes++;
    b->write_bytes += len;
    return S_OK;
}

/* Discard and write-zeroes carry 16-byte segments {le64 sector, le32 num_sectors, le32 flags}. */
static uint8_t do_ranges(VirtioBlk *b, const VirtqChain *c, bool zeroes)
{
    uint64_t len = c->out_len - 16;
    if (b->file->ro)
        return S_IOERR;
    if (len == 0 || len % 16 || len / 16 > MAX_SEGS)
        return S_UNSUPP;
    for (uint64_t off = 0; off < len; off += 16) {
        uint8_t seg[16];
        if (virtio_queue_chain_read(c, b->vdev.mem, 16 + off, seg, 16) != 16)
            return S_IOERR;
        uint64_t sector = get_le(seg, 8), n = get_le(seg + 8, 4);
        uint32_t flags = (uint32_t)get_le(seg + 12, 4);
        if ((flags & ~1u) || !in_disk(b, sector, n * SECTOR))
            return S_UNSUPP;
        bool ok = zeroes ? blockfile_write_zeroes(b->file, sector * SECTOR, n * SECTOR)
                         : blockfile_discard(b->file, sector * SECTOR, n * SECTOR);
        if (!ok)
            return S_IOERR;
    }
    return S_OK;
}

/* What a request costs the rate limiter: its data bytes (reads and writes), and one operation whatever it is
 * (as Firecracker counts). */
static uint64_t request_bytes(const VirtqChain *c, uint32_t type)
{
    if (type == T_IN)
        return c->in_len - 1;
    return type == T_OUT ? c->out_len - 16 : 0;
}

static void blk_process(VirtioDevice *vd)
{
    VirtioBlk *b = vd->impl;
    VirtqChain *c = &b->held;
    for (;;) {
        if (!b->holding && virtio_dev_pop(vd, 0, c) <= 0)
            return;
        uint8_t hdr[16];
        if (c->out_len < 16 || c->in_len < 1 || virtio_queue_chain_read(c, vd->mem, 0, hdr, 16) != 16) {
            /* Without a header or a status byte no answer can even be given: a driver bug. */
            b->holding = false;
            virtio_dev_fail(vd, "block request without header or status byte");
            return;
        }
        uint32_t type = (uint32_t)get_le(hdr, 4);
        uint64_t sector = get_le(hdr + 8, 8);
        if (ratelimit_enabled(&b->rl) &&
            !ratelimit_take(&b->rl, request_bytes(c, type), 1, host_monotonic_ns(), &b->wake_ns)) {
            b->throttled += !b->holding;
            b->holding = true;
            return;
        }
        b->holding = false;
        uint32_t written = 0;
        uint8_t status;
        switch (type) {
        case T_IN: status = do_read(b, c, sector, &written); break;
        case T_OUT: status = do_write(b, c, sector); break;
        case T_FLUSH: status = blockfile_flush(b->file) ? S_OK : S_IOERR; break;
        case T_GET_ID: {
            uint64_t n = c->in_len - 1 < 20 ? c->in_len - 1 : 20;
            written = (uint32_t)virtio_queue_chain_write(c, vd->mem, 0, b->id, n);
            status = S_OK;
            break;
        }
        case T_DISCARD: status = do_ranges(b, c, false); break;
        case T_WRITE_ZEROES: status = do_ranges(b, c, true); break;
        default: status = S_UNSUPP; break;
        }
        if (status == S_IOERR)
            b->ioerrs++;
        virtio_queue_chain_write(c, vd->mem, c->in_len - 1, &status, 1);
        virtio_dev_push(vd, 0, c, written + 1);
    }
}

static void blk_notify(VirtioDevice *vd, unsigned q)
{
    blk_process(vd);
}

static void blk_poll(VirtioDevice *vd)
{
    VirtioBlk *b = vd->impl;
    if (b->holding)
        blk_process(vd);
}

static uint64_t blk_wake_at(VirtioDevice *vd)
{
    VirtioBlk *b = vd->impl;
    return b->holding ? b->wake_ns : 0;
}

static void blk_reset(VirtioDevice *vd)
{
    VirtioBlk *b = vd->impl;
    b->holding = false;
}

void virtio_blk_set_rate_limit(VirtioBlk *b, const RateLimitConfig *cfg)
{
    uint64_t now = host_monotonic_ns();
    ratelimit_set(&b->rl, cfg, now);
    b->wake_ns = now;                   /* a held request is tried again under the new limit */
}

static const VirtioOps blk_ops = {
    .name = "virtio-blk", .device_id = 2, .notify = blk_notify, .reset = blk_reset, .poll = blk_poll,
    .wake_at = blk_wake_at,
};

void virtio_blk_init(VirtioBlk *b, const GuestMem *mem, BlockFile *file, const char *id)
{
    uint64_t f = 1ull << F_SEG_MAX | 1ull << F_BLK_SIZE | 1ull << F_FLUSH;
    if (file->ro)
        f |= 1ull << F_RO;
    else
        f |= 1ull << F_DISCARD | 1ull << F_WRITE_ZEROES;
    virtio_dev_init(&b->vdev, &blk_ops, b, mem, f, 1, 128);
    b->file = file;
    b->ioerrs = 0;
    b->reads = b->writes = b->read_bytes = b->write_bytes = b->throttled = 0;
    b->holding = false;
    ratelimit_init(&b->rl);
    memset(b->id, 0, sizeof b->id);
    strncpy(b->id, id, 20);
    uint8_t *cfg = b->vdev.config;
    put_le(cfg + 0, file->size / SECTOR, 8);          /* capacity */
    put_le(cfg + 12, 126, 4);                         /* seg_max: queue size minus header and status */
    put_le(cfg + 20, SECTOR, 4);                      /* blk_size */
    put_le(cfg + 36, 1u << 22, 4);                    /* max_discard_sectors (2 GiB) */
    put_le(cfg + 40, MAX_SEGS, 4);                    /* max_discard_seg */
    put_le(cfg + 44, 8, 4);                           /* discard_sector_alignment (4 KiB) */
    put_le(cfg + 48, 1u << 22, 4);                    /* max_write_zeroes_sectors */
    put_le(cfg + 52, MAX_SEGS, 4);                    /* max_write_zeroes_seg */
    cfg[56] = 0;                                      /* write_zeroes_may_unmap */
    b->vdev.config_len = 60;
}
