/* wasi/sock.c: sock_accept, sock_recv, sock_send and sock_shutdown on sockets the embedder handed to
 * the guest (lodge run --tcplisten); preview1 has no way for a guest to create one. */
#include "os/sys.h"
#include "wasi/internal.h"

static WasiFd *get_sock(WasiCall *c, uint32_t fd, uint64_t rights, int *e)
{
    WasiFd *f = wasi_ctx_fd(c->ctx, fd, 0, e);
    if (!f)
        return NULL;
    if (f->type != WASI_FT_SOCK_STREAM && f->type != WASI_FT_SOCK_DGRAM) {
        *e = WASI_ENOTSOCK;
        return NULL;
    }
    if ((f->base & rights) != rights) {
        *e = WASI_ENOTCAPABLE;
        return NULL;
    }
    return f;
}

int wasi_sock_accept(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *f = get_sock(c, WASI_A32(0), WASI_RIGHT_SOCK_ACCEPT, &e);
    if (!f)
        return e;
    uint32_t flags = WASI_A32(1);
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    if (!wasi_mem(c, WASI_A32(2), 4))
        return WASI_EFAULT;
    int fd = os_sys_sock_accept(f->host, flags & WASI_FDFLAG_NONBLOCK);
    if (fd < 0)
        return wasi_errno_from_host(fd);
    WasiFd nf = {.host = fd, .type = WASI_FT_SOCK_STREAM, .owned = true,
                 .base = WASI_RIGHTS_SOCK & ~WASI_RIGHT_SOCK_ACCEPT, .inheriting = 0};
    int g = wasi_ctx_fd_add(c->ctx, &nf);
    if (g < 0) {
        os_fs_close(fd);
        return WASI_EMFILE;
    }
    return wasi_put32(c, WASI_A32(2), (uint32_t)g);
}

int wasi_sock_recv(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *f = get_sock(c, WASI_A32(0), WASI_RIGHT_FD_READ, &e);
    if (!f)
        return e;
    uint32_t flags = WASI_A32(3);
    if (flags & ~(uint32_t)(WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL))
        return WASI_EINVAL;
    uint8_t *lenp = wasi_mem(c, WASI_A32(4), 4), *flp = wasi_mem(c, WASI_A32(5), 2);
    if (!lenp || !flp)
        return WASI_EFAULT;
    OsIov stack[WASI_IOV_STACK], *iov;
    if ((e = wasi_fd_iovs(c, WASI_A32(1), WASI_A32(2), stack, &iov)))
        return e;
    bool trunc = false;
    int64_t r = os_sys_sock_recv(f->host, iov, (int)WASI_A32(2), flags & WASI_RIFLAG_PEEK,
                                 flags & WASI_RIFLAG_WAITALL, &trunc);
    wasi_fd_iovs_free(c, iov, stack, WASI_A32(2));
    if (r < 0)
        return wasi_errno_from_host((int)r);
    wasi_st32(lenp, (uint32_t)r);
    wasi_st16(flp, trunc ? WASI_ROFLAG_TRUNCATED : 0);
    return WASI_ESUCCESS;
}

int wasi_sock_send(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *f = get_sock(c, WASI_A32(0), WASI_RIGHT_FD_WRITE, &e);
    if (!f)
        return e;
    if (WASI_A32(3) != 0)
        return WASI_EINVAL; /* no siflags are defined */
    if (!wasi_mem(c, WASI_A32(4), 4))
        return WASI_EFAULT;
    OsIov stack[WASI_IOV_STACK], *iov;
    if ((e = wasi_fd_iovs(c, WASI_A32(1), WASI_A32(2), stack, &iov)))
        return e;
    int64_t r = os_sys_sock_send(f->host, iov, (int)WASI_A32(2));
    wasi_fd_iovs_free(c, iov, stack, WASI_A32(2));
    if (r < 0)
        return wasi_errno_from_host((int)r);
    return wasi_put32(c, WASI_A32(4), (uint32_t)r);
}

int wasi_sock_shutdown(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *f = get_sock(c, WASI_A32(0), WASI_RIGHT_SOCK_SHUTDOWN, &e);
    if (!f)
        return e;
    uint32_t how = WASI_A32(1);
    if (how == 0 || how > 3)
        return WASI_EINVAL;
    return wasi_errno_from_host(os_sys_sock_shutdown(f->host, (int)how));
}
