/* wasi/fd.c: the fd_* functions: reading, writing, seeking, status, rights and directory listing on
 * open descriptors. Each checks the fd's rights before touching the host. */
#include <stdlib.h>

#include "wasi/internal.h"

#define IOV_MAX_GUEST 1024 /* as Linux's IOV_MAX */

#define GET_FD(var, fdval, rights)                                                                         \
    int e_ = 0;                                                                                          \
    WasiFd *var = wasi_ctx_fd(c->ctx, (fdval), (rights), &e_);                                           \
    if (!var)                                                                                            \
    return e_

int wasi_fd_iovs(WasiCall *c, uint32_t iovs, uint32_t n, OsIov *stack, OsIov **out)
{
    if (n > IOV_MAX_GUEST)
        return WASI_EINVAL;
    const uint8_t *arr = wasi_mem(c, iovs, (uint64_t)n * 8);
    if (!arr)
        return WASI_EFAULT;
    OsIov *v = n <= WASI_IOV_STACK ? stack : wasi_alloc(c->ctx, n * sizeof *v);
    if (!v)
        return WASI_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = wasi_ld32(arr + 8 * i), len = wasi_ld32(arr + 8 * i + 4);
        uint8_t *m = wasi_mem(c, p, len);
        if (!m) {
            wasi_fd_iovs_free(c, v, stack, n);
            return WASI_EFAULT;
        }
        v[i].base = m;
        v[i].len = len;
    }
    *out = v;
    return WASI_ESUCCESS;
}

void wasi_fd_iovs_free(WasiCall *c, OsIov *iov, OsIov *stack, uint32_t n)
{
    if (iov != stack)
        wasi_free(c->ctx, iov, n * sizeof *iov);
}

int wasi_fd_put_filestat(WasiCall *c, uint32_t p, const OsStat *st)
{
    uint8_t *m = wasi_mem(c, p, 64);
    if (!m)
        return WASI_EFAULT;
    memset(m, 0, 64);
    wasi_st64(m + 0, st->dev);
    wasi_st64(m + 8, st->ino);
    m[16] = wasi_ctx_filetype(st->type, -1);
    if (st->type == OS_FT_SOCK_STREAM)
        m[16] = WASI_FT_SOCK_STREAM;
    wasi_st64(m + 24, st->nlink);
    wasi_st64(m + 32, st->size);
    wasi_st64(m + 40, st->atim);
    wasi_st64(m + 48, st->mtim);
    wasi_st64(m + 56, st->ctim);
    return WASI_ESUCCESS;
}

int wasi_fd_times(uint64_t atim, uint64_t mtim, uint32_t fst, uint64_t *a_out, uint64_t *m_out)
{
    if (fst & ~0xFu)
        return WASI_EINVAL;
    if ((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW))
        return WASI_EINVAL;
    if ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    *a_out = (fst & WASI_FST_ATIM_NOW) ? OS_TIME_NOW : (fst & WASI_FST_ATIM) ? atim : OS_TIME_OMIT;
    *m_out = (fst & WASI_FST_MTIM_NOW) ? OS_TIME_NOW : (fst & WASI_FST_MTIM) ? mtim : OS_TIME_OMIT;
    if (*a_out >= OS_TIME_OMIT && (fst & WASI_FST_ATIM))
        return WASI_EINVAL;
    if (*m_out >= OS_TIME_OMIT && (fst & WASI_FST_MTIM))
        return WASI_EINVAL;
    return WASI_ESUCCESS;
}

static int host_err(int64_t r)
{
    return wasi_errno_from_host((int)r);
}

/* ---- data ------------------------------------------------------------------------------------- */

static int rw(WasiCall *c, const lodge_val_t *a, uint64_t right, bool write, bool positioned)
{
    GET_FD(f, WASI_A32(0), right | (positioned ? WASI_RIGHT_FD_SEEK : 0));
    uint32_t outp = positioned ? WASI_A32(4) : WASI_A32(3);
    if (!wasi_mem(c, outp, 4))
        return WASI_EFAULT;
    if (f->type == WASI_FT_DIR)
        return WASI_EISDIR;
    OsIov stack[WASI_IOV_STACK], *iov;
    int e = wasi_fd_iovs(c, WASI_A32(1), WASI_A32(2), stack, &iov);
    if (e)
        return e;
    int n = (int)WASI_A32(2);
    int64_t r;
    if (positioned)
        r = write ? os_fs_pwritev(f->host, iov, n, WASI_A64(3)) : os_fs_preadv(f->host, iov, n, WASI_A64(3));
    else
        r = write ? os_fs_writev(f->host, iov, n) : os_fs_readv(f->host, iov, n);
    wasi_fd_iovs_free(c, iov, stack, WASI_A32(2));
    if (r < 0)
        return host_err(r);
    return wasi_put32(c, outp, (uint32_t)r);
}

int wasi_fd_read(WasiCall *c, const lodge_val_t *a)
{
    return rw(c, a, WASI_RIGHT_FD_READ, false, false);
}

int wasi_fd_write(WasiCall *c, const lodge_val_t *a)
{
    return rw(c, a, WASI_RIGHT_FD_WRITE, true, false);
}

int wasi_fd_pread(WasiCall *c, const lodge_val_t *a)
{
    return rw(c, a, WASI_RIGHT_FD_READ, false, true);
}

int wasi_fd_pwrite(WasiCall *c, const lodge_val_t *a)
{
    return rw(c, a, WASI_RIGHT_FD_WRITE, true, true);
}

int wasi_fd_seek(WasiCall *c, const lodge_val_t *a)
{
    int64_t off = (int64_t)WASI_A64(1);
    uint32_t whence = WASI_A32(2);
    /* Asking for the current position needs only the tell right, as the spec says. */
    uint64_t need = (off == 0 && whence == 1) ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK;
    int e = 0;
    WasiFd *f = wasi_ctx_fd(c->ctx, WASI_A32(0), 0, &e);
    if (!f)
        return e;
    if (!(f->base & need) && !(f->base & WASI_RIGHT_FD_SEEK))
        return WASI_ENOTCAPABLE;
    if (whence > 2)
        return WASI_EINVAL;
    if (!wasi_mem(c, WASI_A32(3), 8))
        return WASI_EFAULT;
    int64_t r = os_fs_seek(f->host, off, (int)whence);
    if (r < 0)
        return host_err(r);
    return wasi_put64(c, WASI_A32(3), (uint64_t)r);
}

int wasi_fd_tell(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_TELL);
    if (!wasi_mem(c, WASI_A32(1), 8))
        return WASI_EFAULT;
    int64_t r = os_fs_seek(f->host, 0, 1);
    if (r < 0)
        return host_err(r);
    return wasi_put64(c, WASI_A32(1), (uint64_t)r);
}

/* ---- status and rights ------------------------------------------------------------------------ */

static uint16_t fdflags_from_os(int fl)
{
    uint16_t r = 0;
    if (fl & OS_FS_APPEND)
        r |= WASI_FDFLAG_APPEND;
    if (fl & OS_FS_DSYNC)
        r |= WASI_FDFLAG_DSYNC;
    if (fl & OS_FS_NONBLOCK)
        r |= WASI_FDFLAG_NONBLOCK;
    if (fl & OS_FS_RSYNC)
        r |= WASI_FDFLAG_RSYNC;
    if (fl & OS_FS_SYNC)
        r |= WASI_FDFLAG_SYNC;
    return r;
}

int wasi_fd_fdstat_get(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), 0);
    uint8_t *m = wasi_mem(c, WASI_A32(1), 24);
    if (!m)
        return WASI_EFAULT;
    int fl = os_fs_get_flags(f->host);
    if (fl < 0)
        fl = 0; /* an O_PATH handle has no status flags */
    memset(m, 0, 24);
    m[0] = f->type;
    wasi_st16(m + 2, fdflags_from_os(fl));
    wasi_st64(m + 8, f->base);
    wasi_st64(m + 16, f->inheriting);
    return WASI_ESUCCESS;
}

int wasi_fd_fdstat_set_flags(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS);
    uint32_t fl = WASI_A32(1);
    if (fl & ~0x1Fu)
        return WASI_EINVAL;
    /* The host cannot switch synchronous I/O on or off for an open file (Linux ignores it in F_SETFL). */
    if (fl & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
        return WASI_ENOTSUP;
    int os = 0;
    if (fl & WASI_FDFLAG_APPEND)
        os |= OS_FS_APPEND;
    if (fl & WASI_FDFLAG_NONBLOCK)
        os |= OS_FS_NONBLOCK;
    return host_err(os_fs_set_flags(f->host, os));
}

int wasi_fd_fdstat_set_rights(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), 0);
    uint64_t base = WASI_A64(1), inh = WASI_A64(2);
    /* Rights only ever shrink. */
    if ((base & ~f->base) || (inh & ~f->inheriting))
        return WASI_ENOTCAPABLE;
    f->base = base;
    f->inheriting = inh;
    return WASI_ESUCCESS;
}

int wasi_fd_filestat_get(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_FILESTAT_GET);
    if (!wasi_mem(c, WASI_A32(1), 64))
        return WASI_EFAULT;
    OsStat st;
    int r = os_fs_fstat(f->host, &st);
    if (r < 0)
        return host_err(r);
    return wasi_fd_put_filestat(c, WASI_A32(1), &st);
}

int wasi_fd_filestat_set_size(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_FILESTAT_SET_SIZE);
    return host_err(os_fs_truncate(f->host, WASI_A64(1)));
}

int wasi_fd_filestat_set_times(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_FILESTAT_SET_TIMES);
    uint64_t at, mt;
    int e = wasi_fd_times(WASI_A64(1), WASI_A64(2), WASI_A32(3), &at, &mt);
    if (e)
        return e;
    return host_err(os_fs_set_times(f->host, at, mt));
}

int wasi_fd_advise(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_ADVISE);
    if (WASI_A32(3) > 5)
        return WASI_EINVAL;
    return host_err(os_fs_advise(f->host, WASI_A64(1), WASI_A64(2), (int)WASI_A32(3)));
}

int wasi_fd_allocate(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_ALLOCATE);
    return host_err(os_fs_allocate(f->host, WASI_A64(1), WASI_A64(2)));
}

int wasi_fd_datasync(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_DATASYNC);
    return host_err(os_fs_datasync(f->host));
}

int wasi_fd_sync(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_SYNC);
    return host_err(os_fs_sync(f->host));
}

/* ---- the table: close, renumber, preopens ----------------------------------------------------- */

int wasi_fd_close(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), 0);
    (void)f;
    wasi_ctx_fd_release(c->ctx, WASI_A32(0));
    return WASI_ESUCCESS;
}

int wasi_fd_renumber(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    uint32_t from = WASI_A32(0), to = WASI_A32(1);
    WasiFd *f = wasi_ctx_fd(c->ctx, from, 0, &e);
    if (!f)
        return e;
    if (!wasi_ctx_fd(c->ctx, to, 0, &e))
        return e;
    if (from == to)
        return WASI_ESUCCESS;
    WasiFd moved = *f;
    c->ctx->fds[from] = (WasiFd){.host = -1};
    wasi_ctx_fd_release(c->ctx, to);
    c->ctx->fds[to] = moved;
    return WASI_ESUCCESS;
}

int wasi_fd_prestat_get(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), 0);
    if (!f->preopen)
        return WASI_EBADF;
    uint8_t *m = wasi_mem(c, WASI_A32(1), 8);
    if (!m)
        return WASI_EFAULT;
    memset(m, 0, 8);
    m[0] = 0; /* preopentype dir */
    wasi_st32(m + 4, (uint32_t)strlen(f->preopen));
    return WASI_ESUCCESS;
}

int wasi_fd_prestat_dir_name(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), 0);
    if (!f->preopen)
        return WASI_EBADF;
    size_t len = strlen(f->preopen);
    if (WASI_A32(2) < len)
        return WASI_ENAMETOOLONG;
    uint8_t *m = wasi_mem(c, WASI_A32(1), len);
    if (!m)
        return WASI_EFAULT;
    memcpy(m, f->preopen, len);
    return WASI_ESUCCESS;
}

/* ---- directories ------------------------------------------------------------------------------ */

typedef struct DirFill {
    uint8_t *buf;
    uint32_t cap, used;
} DirFill;

static bool dir_fill(void *ctx, uint64_t next, uint64_t ino, OsFileType type, const char *name, size_t namelen)
{
    DirFill *d = ctx;
    uint8_t ent[24];
    memset(ent, 0, sizeof ent);
    wasi_st64(ent, next);
    wasi_st64(ent + 8, ino);
    wasi_st32(ent + 16, (uint32_t)namelen);
    ent[20] = type == OS_FT_SOCK_STREAM ? WASI_FT_SOCK_STREAM : wasi_ctx_filetype(type, -1);
    /* Entries are copied whole while they fit; the last may be cut short, which tells the guest
     * that the buffer was filled and it should ask again from the last whole entry's cookie. */
    uint32_t room = d->cap - d->used;
    uint32_t n = room < 24 ? room : 24;
    memcpy(d->buf + d->used, ent, n);
    d->used += n;
    if (n < 24)
        return false;
    room = d->cap - d->used;
    n = room < namelen ? room : (uint32_t)namelen;
    memcpy(d->buf + d->used, name, n);
    d->used += n;
    return d->used < d->cap;
}

int wasi_fd_readdir(WasiCall *c, const lodge_val_t *a)
{
    GET_FD(f, WASI_A32(0), WASI_RIGHT_FD_READDIR);
    uint32_t len = WASI_A32(2);
    uint8_t *buf = wasi_mem(c, WASI_A32(1), len);
    if (!buf || !wasi_mem(c, WASI_A32(4), 4))
        return WASI_EFAULT;
    if (f->type != WASI_FT_DIR)
        return WASI_ENOTDIR;
    DirFill d = {buf, len, 0};
    if (len > 0) {
        int r = os_fs_readdir(f->host, WASI_A64(3), dir_fill, &d);
        if (r < 0)
            return host_err(r);
    }
    return wasi_put32(c, WASI_A32(4), d.used);
}
