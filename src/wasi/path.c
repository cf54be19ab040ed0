/* wasi/path.c: the path_* functions. Every guest path is resolved beneath the directory fd it names
 * (os_fs_open_beneath): an absolute path, a `..` above that directory, or a symlink leading outside
 * fails with NOTCAPABLE. Operations on a final name (unlink, rename, mkdir, ...) first open its parent
 * that way, then act on the last component alone, which the host never follows. */
#include <errno.h>
#include <stdlib.h>

#include "wasi/internal.h"

static int host_err(int r)
{
    return wasi_errno_from_host(r);
}

#define PATH_MAX_GUEST 32768 /* longer than any host path can be (Linux: 4096) */

/* The guest's path (ptr, len) as a C string. */
static int read_path(WasiCall *c, uint32_t p, uint32_t len, char **out)
{
    const uint8_t *m = wasi_mem(c, p, len);
    if (!m)
        return WASI_EFAULT;
    if (len > PATH_MAX_GUEST)
        return WASI_ENAMETOOLONG;
    if (memchr(m, '\0', len))
        return WASI_EINVAL;
    char *s = wasi_alloc(c->ctx, (size_t)len + 1);
    if (!s)
        return WASI_ENOMEM;
    memcpy(s, m, len);
    s[len] = '\0';
    *out = s;
    return WASI_ESUCCESS;
}

static WasiFd *get_dir(WasiCall *c, uint32_t fd, uint64_t rights, int *e)
{
    WasiFd *d = wasi_ctx_fd(c->ctx, fd, 0, e);
    if (!d)
        return NULL;
    if (d->type != WASI_FT_DIR) {
        *e = WASI_ENOTDIR;
        return NULL;
    }
    if ((d->base & rights) != rights) {
        *e = WASI_ENOTCAPABLE;
        return NULL;
    }
    return d;
}

static int open_full(WasiCall *c, WasiFd *dir, const char *path, int flags, unsigned mode)
{
    if (path[0] == '\0')
        return -ENOENT;
    return os_fs_open_beneath(c->ctx->alloc, c->ctx->resolver, dir->host, path, flags, mode);
}

/* A path split into a parent directory (held open) and its last component. */
typedef struct Split {
    WasiCtx *ctx;      /* whose account holds path */
    int dirfd;
    bool owned;
    char *path;        /* owned copy of the guest's path */
    const char *base;  /* last component, without trailing slashes */
    bool trailing;     /* the path ended in '/' */
} Split;

static void split_free(Split *s)
{
    if (s->owned)
        os_fs_close(s->dirfd);
    if (s->path)
        wasi_str_free(s->ctx, s->path);
}

/* check_trailing: a trailing slash demands a directory; refuse anything else with NOTDIR rather than
 * let the host follow a final symlink because of the slash. */
static int split_path(WasiCall *c, WasiFd *dir, uint32_t p, uint32_t len, bool check_trailing, Split *s)
{
    *s = (Split){.ctx = c->ctx, .dirfd = dir->host};
    int e = read_path(c, p, len, &s->path);
    if (e)
        return e;
    char *path = s->path;
    if (path[0] == '\0')
        return WASI_ENOENT;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') {
        path[--n] = '\0';
        s->trailing = true;
    }
    char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        /* The last component names a directory by relation: open it (beneath) and act on ".". */
        int fd = open_full(c, dir, path, OS_FS_PATH | OS_FS_DIRECTORY, 0);
        if (fd < 0)
            return host_err(fd);
        s->dirfd = fd;
        s->owned = true;
        s->base = ".";
        return WASI_ESUCCESS;
    }
    if (slash) {
        *slash = '\0';
        int fd = open_full(c, dir, path, OS_FS_PATH | OS_FS_DIRECTORY, 0);
        if (fd < 0)
            return host_err(fd);
        s->dirfd = fd;
        s->owned = true;
    }
    s->base = base;
    if (s->trailing && check_trailing) {
        OsStat st;
        if (os_fs_lstatat(s->dirfd, base, &st) == 0 && st.type != OS_FT_DIR)
            return WASI_ENOTDIR;
    }
    return WASI_ESUCCESS;
}

/* ---- path_open -------------------------------------------------------------------------------- */

int wasi_path_open(WasiCall *c, const lodge_val_t *a)
{
    uint32_t dirflags = WASI_A32(1), oflags = WASI_A32(4), fdflags = WASI_A32(7), outp = WASI_A32(8);
    uint64_t base = WASI_A64(5), inh = WASI_A64(6);
    uint64_t need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_OFLAG_CREAT)
        need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_OFLAG_TRUNC)
        need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), need, &e);
    if (!dir)
        return e;
    if ((oflags & ~0xFu) || (fdflags & ~0x1Fu))
        return WASI_EINVAL;
    if (!wasi_mem(c, outp, 4))
        return WASI_EFAULT;
    char *path;
    if ((e = read_path(c, WASI_A32(2), WASI_A32(3), &path)))
        return e;
    /* A new fd never holds more than its directory may pass on. */
    base &= dir->inheriting;
    inh &= dir->inheriting;
    bool want_write = (base & (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE)) ||
                      ((fdflags & WASI_FDFLAG_APPEND) && (base & WASI_RIGHT_FD_WRITE));
    bool want_read = (base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)) || !want_write;
    if (oflags & WASI_OFLAG_DIRECTORY)
        want_write = false;
    int fl = (want_read ? OS_FS_READ : 0) | (want_write ? OS_FS_WRITE : 0);
    if (oflags & WASI_OFLAG_CREAT)
        fl |= OS_FS_CREATE;
    if (oflags & WASI_OFLAG_EXCL)
        fl |= OS_FS_EXCL;
    if (oflags & WASI_OFLAG_TRUNC)
        fl |= OS_FS_TRUNC;
    if (oflags & WASI_OFLAG_DIRECTORY)
        fl |= OS_FS_DIRECTORY;
    if (fdflags & WASI_FDFLAG_APPEND)
        fl |= OS_FS_APPEND;
    if (fdflags & WASI_FDFLAG_NONBLOCK)
        fl |= OS_FS_NONBLOCK;
    if (fdflags & WASI_FDFLAG_DSYNC)
        fl |= OS_FS_DSYNC;
    if (fdflags & WASI_FDFLAG_SYNC)
        fl |= OS_FS_SYNC;
    if (fdflags & WASI_FDFLAG_RSYNC)
        fl |= OS_FS_RSYNC;
    if (!(dirflags & WASI_LOOKUP_SYMLINK_FOLLOW))
        fl |= OS_FS_NOFOLLOW;
    int fd = open_full(c, dir, path, fl, 0666);
    wasi_str_free(c->ctx, path);
    if (fd < 0)
        return host_err(fd);
    OsFileType t = OS_FT_UNKNOWN;
    os_fs_type_of(fd, &t);
    uint8_t type = wasi_ctx_filetype(t, fd);
    WasiFd nf = {
        .host = fd,
        .type = type,
        .owned = true,
        .base = base & wasi_ctx_rights_for(type, type == WASI_FT_CHAR && os_fs_isatty(fd)),
        .inheriting = type == WASI_FT_DIR ? inh : 0,
    };
    int g = wasi_ctx_fd_add(c->ctx, &nf);
    if (g < 0) {
        os_fs_close(fd);
        return WASI_EMFILE;
    }
    return wasi_put32(c, outp, (uint32_t)g);
}

/* ---- status and times ------------------------------------------------------------------------- */

int wasi_path_filestat_get(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_FILESTAT_GET, &e);
    if (!dir)
        return e;
    if (!wasi_mem(c, WASI_A32(4), 64))
        return WASI_EFAULT;
    char *path;
    if ((e = read_path(c, WASI_A32(2), WASI_A32(3), &path)))
        return e;
    bool follow = WASI_A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
    /* An O_PATH handle opened without following names the symlink itself. */
    int fd = open_full(c, dir, path, OS_FS_PATH | (follow ? 0 : OS_FS_NOFOLLOW), 0);
    wasi_str_free(c->ctx, path);
    if (fd < 0)
        return host_err(fd);
    OsStat st;
    int r = os_fs_fstat(fd, &st);
    os_fs_close(fd);
    if (r < 0)
        return host_err(r);
    return wasi_fd_put_filestat(c, WASI_A32(4), &st);
}

int wasi_path_filestat_set_times(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES, &e);
    if (!dir)
        return e;
    uint64_t at, mt;
    if ((e = wasi_fd_times(WASI_A64(4), WASI_A64(5), WASI_A32(6), &at, &mt)))
        return e;
    bool follow = WASI_A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
    if (follow) {
        char *path;
        if ((e = read_path(c, WASI_A32(2), WASI_A32(3), &path)))
            return e;
        int fd = open_full(c, dir, path, OS_FS_PATH, 0);
        wasi_str_free(c->ctx, path);
        if (fd < 0)
            return host_err(fd);
        int r = os_fs_set_times(fd, at, mt);
        os_fs_close(fd);
        return host_err(r);
    }
    Split s;
    if (!(e = split_path(c, dir, WASI_A32(2), WASI_A32(3), true, &s)))
        e = host_err(os_fs_set_times_at(s.dirfd, s.base, at, mt));
    split_free(&s);
    return e;
}

/* ---- changing the tree ------------------------------------------------------------------------ */

int wasi_path_create_directory(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_CREATE_DIRECTORY, &e);
    if (!dir)
        return e;
    Split s;
    if (!(e = split_path(c, dir, WASI_A32(1), WASI_A32(2), true, &s)))
        e = host_err(os_fs_mkdirat(s.dirfd, s.base));
    split_free(&s);
    return e;
}

int wasi_path_remove_directory(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_REMOVE_DIRECTORY, &e);
    if (!dir)
        return e;
    Split s;
    if (!(e = split_path(c, dir, WASI_A32(1), WASI_A32(2), true, &s)))
        e = host_err(os_fs_unlinkat(s.dirfd, s.base, true));
    split_free(&s);
    return e;
}

int wasi_path_unlink_file(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_UNLINK_FILE, &e);
    if (!dir)
        return e;
    Split s;
    if (!(e = split_path(c, dir, WASI_A32(1), WASI_A32(2), true, &s)))
        e = host_err(os_fs_unlinkat(s.dirfd, s.base, false));
    split_free(&s);
    return e;
}

int wasi_path_rename(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *od = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_RENAME_SOURCE, &e);
    if (!od)
        return e;
    WasiFd *nd = get_dir(c, WASI_A32(3), WASI_RIGHT_PATH_RENAME_TARGET, &e);
    if (!nd)
        return e;
    Split so, sn = {.owned = false, .path = NULL};
    if (!(e = split_path(c, od, WASI_A32(1), WASI_A32(2), true, &so)) &&
        !(e = split_path(c, nd, WASI_A32(4), WASI_A32(5), false, &sn)))
        e = host_err(os_fs_renameat(so.dirfd, so.base, sn.dirfd, sn.base));
    split_free(&so);
    split_free(&sn);
    return e;
}

int wasi_path_link(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *od = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_LINK_SOURCE, &e);
    if (!od)
        return e;
    WasiFd *nd = get_dir(c, WASI_A32(4), WASI_RIGHT_PATH_LINK_TARGET, &e);
    if (!nd)
        return e;
    bool follow = WASI_A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
    Split sn;
    if ((e = split_path(c, nd, WASI_A32(5), WASI_A32(6), false, &sn))) {
        split_free(&sn);
        return e;
    }
    if (follow) {
        /* Resolve the source ourselves (beneath) and link the object it names. */
        char *path;
        if (!(e = read_path(c, WASI_A32(2), WASI_A32(3), &path))) {
            int fd = open_full(c, od, path, OS_FS_PATH, 0);
            wasi_str_free(c->ctx, path);
            if (fd < 0)
                e = host_err(fd);
            else {
                e = host_err(os_fs_link_fd(fd, sn.dirfd, sn.base));
                os_fs_close(fd);
            }
        }
    } else {
        Split so;
        if (!(e = split_path(c, od, WASI_A32(2), WASI_A32(3), true, &so)))
            e = host_err(os_fs_linkat(so.dirfd, so.base, sn.dirfd, sn.base));
        split_free(&so);
    }
    split_free(&sn);
    return e;
}

int wasi_path_symlink(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(2), WASI_RIGHT_PATH_SYMLINK, &e);
    if (!dir)
        return e;
    char *target;
    if ((e = read_path(c, WASI_A32(0), WASI_A32(1), &target)))
        return e;
    /* The link's text is only text: whatever it says, resolving it later stays beneath. */
    Split s;
    if (!(e = split_path(c, dir, WASI_A32(3), WASI_A32(4), false, &s)))
        e = host_err(os_fs_symlinkat(target, s.dirfd, s.base));
    split_free(&s);
    wasi_str_free(c->ctx, target);
    return e;
}

int wasi_path_readlink(WasiCall *c, const lodge_val_t *a)
{
    int e = 0;
    WasiFd *dir = get_dir(c, WASI_A32(0), WASI_RIGHT_PATH_READLINK, &e);
    if (!dir)
        return e;
    uint32_t cap = WASI_A32(4);
    uint8_t *buf = wasi_mem(c, WASI_A32(3), cap);
    if (!buf || !wasi_mem(c, WASI_A32(5), 4))
        return WASI_EFAULT;
    Split s;
    if (!(e = split_path(c, dir, WASI_A32(1), WASI_A32(2), true, &s))) {
        int n = os_fs_readlinkat(s.dirfd, s.base, (char *)buf, cap);
        if (n < 0)
            e = host_err(n);
        else
            e = wasi_put32(c, WASI_A32(5), (uint32_t)n < cap ? (uint32_t)n : cap);
    }
    split_free(&s);
    return e;
}
