/* wasi/poll.c: poll_oneoff: wait for clock deadlines and fd readiness together, and report events. */
#include <errno.h>
#include <stdlib.h>

#include "os/sys.h"
#include "wasi/internal.h"

#define SUB_SIZE 48
#define EVENT_SIZE 32
#define MAX_SUBS 4096

typedef struct Sub {
    uint64_t userdata;
    uint8_t tag;
    int error;             /* an error found before waiting: reported at once */
    int64_t remaining;     /* clock: ns until it fires (<= 0: already due) */
    uint32_t fd;
    int pollidx;           /* fd: index into the poll set, -1 if not polled */
    bool always_ready;     /* fd: regular files are always ready */
    int host;
} Sub;

static void put_event(uint8_t *ev, const Sub *s, int error, uint64_t nbytes, uint16_t flags)
{
    memset(ev, 0, EVENT_SIZE);
    wasi_st64(ev, s->userdata);
    wasi_st16(ev + 8, (uint16_t)error);
    ev[10] = s->tag;
    if (s->tag != WASI_EVENT_CLOCK) {
        wasi_st64(ev + 16, nbytes);
        wasi_st16(ev + 24, flags);
    }
}

static uint64_t read_nbytes(const Sub *s)
{
    if (s->always_ready) {
        OsStat st;
        int64_t pos = os_fs_seek(s->host, 0, 1);
        if (os_fs_fstat(s->host, &st) == 0 && pos >= 0 && st.size > (uint64_t)pos)
            return st.size - (uint64_t)pos;
        return 0;
    }
    int64_t n = os_sys_readable_bytes(s->host);
    return n > 0 ? (uint64_t)n : 0;
}

int wasi_poll_oneoff(WasiCall *c, const lodge_val_t *a)
{
    uint32_t n = WASI_A32(2);
    if (n == 0)
        return WASI_EINVAL;
    if (n > MAX_SUBS)
        return WASI_ENOTSUP;
    const uint8_t *in = wasi_mem(c, WASI_A32(0), (uint64_t)n * SUB_SIZE);
    uint8_t *out = wasi_mem(c, WASI_A32(1), (uint64_t)n * EVENT_SIZE);
    if (!in || !out || !wasi_mem(c, WASI_A32(3), 4))
        return WASI_EFAULT;
    Sub *subs = wasi_calloc(c->ctx, n, sizeof *subs);
    OsPollFd *pfds = wasi_calloc(c->ctx, n, sizeof *pfds);
    if (!subs || !pfds) {
        wasi_free(c->ctx, subs, n * sizeof *subs);
        wasi_free(c->ctx, pfds, n * sizeof *pfds);
        return WASI_ENOMEM;
    }
    size_t npoll = 0;
    bool immediate = false;
    int64_t timeout = -1; /* ns; -1 = no clock */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *m = in + (size_t)i * SUB_SIZE;
        Sub *s = &subs[i];
        s->userdata = wasi_ld64(m);
        s->tag = m[8];
        s->pollidx = -1;
        if (s->tag == WASI_EVENT_CLOCK) {
            uint32_t id = wasi_ld32(m + 16);
            uint64_t t = wasi_ld64(m + 24);
            uint16_t flags = wasi_ld16(m + 40);
            uint64_t now;
            if (os_sys_clock_now((int)id, &now) < 0) {
                s->error = WASI_EINVAL;
                immediate = true;
                continue;
            }
            if (flags & WASI_SUBCLOCK_ABSTIME)
                s->remaining = t > now ? (int64_t)((t - now) > INT64_MAX ? INT64_MAX : t - now) : 0;
            else
                s->remaining = t > INT64_MAX ? INT64_MAX : (int64_t)t;
            if (timeout < 0 || s->remaining < timeout)
                timeout = s->remaining;
        } else if (s->tag == WASI_EVENT_FD_READ || s->tag == WASI_EVENT_FD_WRITE) {
            s->fd = wasi_ld32(m + 16);
            uint64_t need = s->tag == WASI_EVENT_FD_READ ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE;
            int e = 0;
            WasiFd *f = wasi_ctx_fd(c->ctx, s->fd, 0, &e);
            if (f && !(f->base & (need | WASI_RIGHT_POLL_FD_READWRITE)))
                e = WASI_ENOTCAPABLE, f = NULL;
            if (!f) {
                s->error = e;
                immediate = true;
                continue;
            }
            s->host = f->host;
            if (f->type == WASI_FT_FILE || f->type == WASI_FT_DIR) {
                s->always_ready = true;
                immediate = true;
                continue;
            }
            pfds[npoll] = (OsPollFd){.fd = f->host, .want_read = s->tag == WASI_EVENT_FD_READ,
                                     .want_write = s->tag == WASI_EVENT_FD_WRITE};
            s->pollidx = (int)npoll++;
        } else {
            s->error = WASI_EINVAL;
            immediate = true;
        }
    }
    int r = 0;
    if (immediate)
        timeout = 0;
    if (npoll > 0 || timeout > 0)
        r = npoll > 0 ? os_sys_poll(c->ctx->alloc, pfds, npoll, timeout) : os_sys_sleep(1, (uint64_t)timeout, false);
    if (r < 0 && r != -EINTR) {
        wasi_free(c->ctx, subs, n * sizeof *subs);
        wasi_free(c->ctx, pfds, n * sizeof *pfds);
        return wasi_errno_from_host(r);
    }
    /* Events: every error, every ready fd; clocks only when no fd became ready, as only then the
     * wait can have reached their deadline. */
    uint32_t nev = 0;
    bool fd_ready = false;
    for (uint32_t i = 0; i < n; i++) {
        Sub *s = &subs[i];
        uint8_t *ev = out + (size_t)nev * EVENT_SIZE;
        if (s->error) {
            put_event(ev, s, s->error, 0, 0);
            nev++;
        } else if (s->tag != WASI_EVENT_CLOCK) {
            bool ready = s->always_ready;
            uint16_t fl = 0;
            if (s->pollidx >= 0) {
                OsPollFd *p = &pfds[s->pollidx];
                ready = p->readable || p->writable || p->hangup || p->error;
                if (p->hangup)
                    fl |= WASI_EVENTRW_HANGUP;
            }
            if (ready) {
                uint64_t nb = s->tag == WASI_EVENT_FD_READ ? read_nbytes(s) : 0;
                put_event(ev, s, 0, nb, fl);
                nev++;
                fd_ready = true;
            }
        }
    }
    if (!fd_ready && nev == 0) {
        for (uint32_t i = 0; i < n; i++) {
            Sub *s = &subs[i];
            if (s->tag == WASI_EVENT_CLOCK && !s->error && s->remaining <= timeout) {
                put_event(out + (size_t)nev * EVENT_SIZE, s, 0, 0, 0);
                nev++;
            }
        }
    }
    wasi_free(c->ctx, subs, n * sizeof *subs);
    wasi_free(c->ctx, pfds, n * sizeof *pfds);
    return wasi_put32(c, WASI_A32(3), nev);
}
