/* os/fs.c: Linux file and directory calls for the WASI layer, and the path resolver that never leaves
 * the directory it starts from (openat2 RESOLVE_BENEATH, else a walk that holds an fd per level). */
#include "os/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define NEG_ERRNO (-errno)
#define MAX_SYMLINKS 40     /* as Linux's own limit on symlinks followed in one lookup */
#define MAX_DEPTH 512       /* directory levels the walk holds open at once */
#define MAX_PATH_WORK 65536 /* bytes of path text after splicing symlink targets */

static int host_flags(int flags)
{
    int f = O_CLOEXEC;
    if (flags & OS_FS_PATH)
        f |= O_PATH; /* and no O_NOCTTY: openat2 refuses O_PATH with anything but DIRECTORY, NOFOLLOW */
    else if ((flags & OS_FS_READ) && (flags & OS_FS_WRITE))
        f |= O_RDWR | O_NOCTTY;
    else if (flags & OS_FS_WRITE)
        f |= O_WRONLY | O_NOCTTY;
    else
        f |= O_RDONLY | O_NOCTTY;
    if (flags & OS_FS_CREATE)
        f |= O_CREAT;
    if (flags & OS_FS_EXCL)
        f |= O_EXCL;
    if (flags & OS_FS_TRUNC)
        f |= O_TRUNC;
    if (flags & OS_FS_DIRECTORY)
        f |= O_DIRECTORY;
    if (flags & OS_FS_APPEND)
        f |= O_APPEND;
    if (flags & OS_FS_NONBLOCK)
        f |= O_NONBLOCK;
    if (flags & OS_FS_DSYNC)
        f |= O_DSYNC;
    if (flags & OS_FS_SYNC)
        f |= O_SYNC;
    if (flags & OS_FS_RSYNC)
        f |= O_RSYNC;
    if (flags & OS_FS_NOFOLLOW)
        f |= O_NOFOLLOW;
    return f;
}

static OsFileType type_of_mode(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFBLK: return OS_FT_BLOCK;
    case S_IFCHR: return OS_FT_CHAR;
    case S_IFDIR: return OS_FT_DIR;
    case S_IFREG: return OS_FT_FILE;
    case S_IFLNK: return OS_FT_SYMLINK;
    case S_IFIFO: return OS_FT_FIFO;
    case S_IFSOCK: return OS_FT_SOCK_STREAM; /* refined by the caller through getsockopt when it matters */
    default: return OS_FT_UNKNOWN;
    }
}

static void fill_stat(const struct stat *s, OsStat *st)
{
    st->dev = (uint64_t)s->st_dev;
    st->ino = (uint64_t)s->st_ino;
    st->nlink = (uint64_t)s->st_nlink;
    st->size = (uint64_t)s->st_size;
    st->atim = (uint64_t)s->st_atim.tv_sec * 1000000000u + (uint64_t)s->st_atim.tv_nsec;
    st->mtim = (uint64_t)s->st_mtim.tv_sec * 1000000000u + (uint64_t)s->st_mtim.tv_nsec;
    st->ctim = (uint64_t)s->st_ctim.tv_sec * 1000000000u + (uint64_t)s->st_ctim.tv_nsec;
    st->type = type_of_mode(s->st_mode);
}

/* ---- The walk: one component at a time, holding an fd for every directory above -------------- */

/* The walk never asks the kernel to resolve more than one name, and never with `..`: going up pops
 * the fd it already holds, so a directory renamed away mid-walk cannot carry the walk outside. */
typedef struct Walk {
    int stack[MAX_DEPTH];
    int depth;         /* stack[0] is the caller's dirfd (not ours to close) */
    char *rest;        /* remaining path text, owned (from `alloc`) */
    Alloc *alloc;      /* the caller's accounted allocator (the guest's, for WASI); NULL: unaccounted */
    size_t pos;
    int links;
} Walk;

static void walk_free(Walk *w)
{
    for (int i = w->depth; i > 0; i--)
        close(w->stack[i]);
    alloc_hfree(w->alloc, w->rest);
}

/* Replace the current component with the symlink's target: rest = target + "/" + what follows. */
static int walk_splice(Walk *w, const char *target, size_t tlen, size_t after)
{
    if (tlen == 0)
        return -ENOENT;
    if (target[0] == '/')
        return OS_FS_ESCAPE;
    if (++w->links > MAX_SYMLINKS)
        return -ELOOP;
    size_t taillen = strlen(w->rest + after);
    if (tlen + 1 + taillen + 1 > MAX_PATH_WORK)
        return -ENAMETOOLONG;
    char *n = alloc_hmalloc(w->alloc, tlen + 1 + taillen + 1);
    if (!n)
        return -ENOMEM;
    memcpy(n, target, tlen);
    n[tlen] = '/';
    memcpy(n + tlen + 1, w->rest + after, taillen + 1);
    if (taillen == 0)
        n[tlen] = '\0'; /* a final symlink stays final: no trailing slash appears from nowhere */
    alloc_hfree(w->alloc, w->rest);
    w->rest = n;
    w->pos = 0;
    return 0;
}

static int read_link_at(Alloc *a, int dirfd, const char *name, char **out, size_t *outlen)
{
    size_t cap = 256;
    for (;;) {
        char *buf = alloc_hmalloc(a, cap);
        if (!buf)
            return -ENOMEM;
        ssize_t n = readlinkat(dirfd, name, buf, cap);
        if (n < 0) {
            int e = NEG_ERRNO;
            alloc_hfree(a, buf);
            return e;
        }
        if ((size_t)n < cap) {
            *out = buf;
            *outlen = (size_t)n;
            return 0;
        }
        alloc_hfree(a, buf);
        if (cap >= MAX_PATH_WORK)
            return -ENAMETOOLONG;
        cap *= 4;
    }
}

static int walk_open(Alloc *a, int dirfd, const char *path, int flags, unsigned mode)
{
    if (path[0] == '\0')
        return -ENOENT;
    if (path[0] == '/')
        return OS_FS_ESCAPE;
    Walk w = {.depth = 0, .alloc = a};
    w.stack[0] = dirfd;
    w.rest = alloc_hstrndup(a, path, strlen(path));
    if (!w.rest)
        return -ENOMEM;
    int hflags = host_flags(flags) | O_NOFOLLOW;
    bool follow_final = !(flags & OS_FS_NOFOLLOW);
    int r;
    for (;;) {
        char *s = w.rest;
        while (s[w.pos] == '/')
            w.pos++;
        int cur = w.stack[w.depth];
        if (s[w.pos] == '\0') {
            /* The path ended on a directory ("", ".", "a/", "a/.."): open the one we hold. */
            r = openat(cur, ".", host_flags(flags), mode);
            r = r < 0 ? NEG_ERRNO : r;
            goto done;
        }
        size_t start = w.pos, end = start;
        while (s[end] != '\0' && s[end] != '/')
            end++;
        size_t after = end;
        while (s[after] == '/')
            after++;
        bool last = s[after] == '\0';
        bool trailing = last && after > end;
        char saved = s[end];
        s[end] = '\0';
        const char *comp = s + start;
        w.pos = after;

        if (strcmp(comp, ".") == 0) {
            s[end] = saved;
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            s[end] = saved;
            if (w.depth == 0) {
                r = OS_FS_ESCAPE;
                goto done;
            }
            close(w.stack[w.depth--]);
            continue;
        }
        if (!last || trailing) {
            /* An intermediate component: it must be a directory or a symlink we can follow. */
            int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                r = NEG_ERRNO;
                goto done;
            }
            struct stat sb;
            if (fstat(fd, &sb) < 0) {
                r = NEG_ERRNO;
                close(fd);
                goto done;
            }
            if (S_ISLNK(sb.st_mode)) {
                char *t;
                size_t tl;
                r = read_link_at(a, fd, "", &t, &tl);
                close(fd);
                s[end] = saved;
                if (r < 0)
                    goto done;
                /* Keep the separator so the spliced target is looked up as a directory. */
                r = walk_splice(&w, t, tl, end);
                alloc_hfree(a, t);
                if (r < 0)
                    goto done;
                continue;
            }
            if (!S_ISDIR(sb.st_mode)) {
                close(fd);
                r = -ENOTDIR;
                goto done;
            }
            if (w.depth + 1 >= MAX_DEPTH) {
                close(fd);
                r = -ENAMETOOLONG;
                goto done;
            }
            w.stack[++w.depth] = fd;
            s[end] = saved;
            continue;
        }
        /* The final component: a symlink is followed by splicing (unless told not to, or creating
         * exclusively); anything else is opened with O_NOFOLLOW, so a link swapped in meanwhile fails. */
        struct stat lsb;
        if (follow_final && !((flags & OS_FS_CREATE) && (flags & OS_FS_EXCL)) &&
            fstatat(cur, comp, &lsb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lsb.st_mode)) {
            char *t;
            size_t tl;
            r = read_link_at(a, cur, comp, &t, &tl);
            s[end] = saved;
            if (r < 0)
                goto done;
            r = walk_splice(&w, t, tl, end);
            alloc_hfree(a, t);
            if (r < 0)
                goto done;
            continue;
        }
        int fd = openat(cur, comp, hflags, mode);
        if (fd < 0) {
            r = NEG_ERRNO;
            goto done;
        }
        if (follow_final && (flags & OS_FS_PATH)) {
            struct stat sb;
            if (fstat(fd, &sb) == 0 && S_ISLNK(sb.st_mode)) {
                close(fd);
                r = -ELOOP;
                goto done;
            }
        }
        r = fd;
        goto done;
    }
done:
    walk_free(&w);
    return r;
}

/* ---- openat2 ---------------------------------------------------------------------------------- */

static int openat2_beneath(int dirfd, const char *path, int flags, unsigned mode)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)host_flags(flags);
    how.mode = (flags & OS_FS_CREATE) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int tries = 0; tries < 16; tries++) {
        long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (r >= 0)
            return (int)r;
        if (errno == EAGAIN) /* a rename or mount raced with `..`: the kernel asks us to retry */
            continue;
        if (errno == EXDEV)
            return OS_FS_ESCAPE;
        return NEG_ERRNO;
    }
    return -EAGAIN;
}

int os_fs_open_beneath(Alloc *a, OsResolver how, int dirfd, const char *path, int flags, unsigned mode)
{
    if (how == OS_RESOLVE_AUTO) {
        int r = openat2_beneath(dirfd, path, flags, mode);
        /* ENOSYS: an old kernel; EPERM: a seccomp filter that forbids openat2; EAGAIN: retried out.
         * The walk gives the same answers, more slowly. */
        if (r != -ENOSYS && r != -EPERM && r != -EAGAIN)
            return r;
    }
    return walk_open(a, dirfd, path, flags, mode);
}

int os_fs_open_dir(const char *host_path)
{
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? NEG_ERRNO : fd;
}

/* ---- fd calls --------------------------------------------------------------------------------- */

int os_fs_close(int fd)
{
    return close(fd) < 0 ? NEG_ERRNO : 0;
}

int os_fs_dup_to(int fd, int target)
{
    return dup3(fd, target, O_CLOEXEC) < 0 ? NEG_ERRNO : target;
}

int os_fs_fstat(int fd, OsStat *st)
{
    struct stat s;
    if (fstat(fd, &s) < 0)
        return NEG_ERRNO;
    fill_stat(&s, st);
    return 0;
}

int os_fs_lstatat(int dirfd, const char *name, OsStat *st)
{
    struct stat s;
    int fl = AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0);
    if (fstatat(dirfd, name, &s, fl) < 0)
        return NEG_ERRNO;
    fill_stat(&s, st);
    return 0;
}

int os_fs_type_of(int fd, OsFileType *type)
{
    OsStat st;
    int r = os_fs_fstat(fd, &st);
    if (r < 0)
        return r;
    *type = st.type;
    return 0;
}

bool os_fs_isatty(int fd)
{
    return isatty(fd) == 1;
}

static int64_t ret64(ssize_t r)
{
    return r < 0 ? (int64_t)NEG_ERRNO : (int64_t)r;
}

int64_t os_fs_readv(int fd, const OsIov *iov, int n)
{
    return ret64(readv(fd, (const struct iovec *)(const void *)iov, n));
}

int64_t os_fs_writev(int fd, const OsIov *iov, int n)
{
    return ret64(writev(fd, (const struct iovec *)(const void *)iov, n));
}

int64_t os_fs_preadv(int fd, const OsIov *iov, int n, uint64_t off)
{
    if (off > INT64_MAX)
        return -EINVAL;
    return ret64(preadv(fd, (const struct iovec *)(const void *)iov, n, (off_t)off));
}

int64_t os_fs_pwritev(int fd, const OsIov *iov, int n, uint64_t off)
{
    if (off > INT64_MAX)
        return -EINVAL;
    return ret64(pwritev(fd, (const struct iovec *)(const void *)iov, n, (off_t)off));
}

_Static_assert(sizeof(OsIov) == sizeof(struct iovec), "OsIov mirrors struct iovec");

int64_t os_fs_seek(int fd, int64_t off, int whence)
{
    static const int w[3] = {SEEK_SET, SEEK_CUR, SEEK_END};
    if (whence < 0 || whence > 2)
        return -EINVAL;
    off_t r = lseek(fd, (off_t)off, w[whence]);
    return r < 0 ? (int64_t)NEG_ERRNO : (int64_t)r;
}

int os_fs_sync(int fd)
{
    return fsync(fd) < 0 ? NEG_ERRNO : 0;
}

int os_fs_datasync(int fd)
{
    return fdatasync(fd) < 0 ? NEG_ERRNO : 0;
}

int os_fs_advise(int fd, uint64_t off, uint64_t len, int advice)
{
    static const int a[6] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                             POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    if (advice < 0 || advice > 5 || off > INT64_MAX || len > INT64_MAX)
        return -EINVAL;
    int r = posix_fadvise(fd, (off_t)off, (off_t)len, a[advice]);
    return -r;
}

int os_fs_allocate(int fd, uint64_t off, uint64_t len)
{
    if (off > INT64_MAX || len > INT64_MAX || off + len > INT64_MAX)
        return -EFBIG;
    if (len == 0)
        return -EINVAL;
    int r = posix_fallocate(fd, (off_t)off, (off_t)len);
    return -r;
}

int os_fs_truncate(int fd, uint64_t size)
{
    if (size > INT64_MAX)
        return -EINVAL;
    return ftruncate(fd, (off_t)size) < 0 ? NEG_ERRNO : 0;
}

int os_fs_get_flags(int fd)
{
    int f = fcntl(fd, F_GETFL);
    if (f < 0)
        return NEG_ERRNO;
    int r = 0;
    if (f & O_APPEND)
        r |= OS_FS_APPEND;
    if (f & O_NONBLOCK)
        r |= OS_FS_NONBLOCK;
    if ((f & O_SYNC) == O_SYNC)
        r |= OS_FS_SYNC;
    else if (f & O_DSYNC)
        r |= OS_FS_DSYNC;
    if ((f & O_RSYNC) == O_RSYNC && (f & O_SYNC) == O_SYNC)
        r |= OS_FS_RSYNC;
    return r;
}

int os_fs_set_flags(int fd, int flags)
{
    int f = fcntl(fd, F_GETFL);
    if (f < 0)
        return NEG_ERRNO;
    f &= ~(O_APPEND | O_NONBLOCK);
    if (flags & OS_FS_APPEND)
        f |= O_APPEND;
    if (flags & OS_FS_NONBLOCK)
        f |= O_NONBLOCK;
    return fcntl(fd, F_SETFL, f) < 0 ? NEG_ERRNO : 0;
}

static void to_timespec(uint64_t t, struct timespec *ts)
{
    if (t == OS_TIME_NOW) {
        ts->tv_sec = 0;
        ts->tv_nsec = UTIME_NOW;
    } else if (t == OS_TIME_OMIT) {
        ts->tv_sec = 0;
        ts->tv_nsec = UTIME_OMIT;
    } else {
        ts->tv_sec = (time_t)(t / 1000000000u);
        ts->tv_nsec = (long)(t % 1000000000u);
    }
}

int os_fs_set_times(int fd, uint64_t atim, uint64_t mtim)
{
    struct timespec ts[2];
    to_timespec(atim, &ts[0]);
    to_timespec(mtim, &ts[1]);
    if (futimens(fd, ts) == 0)
        return 0;
    if (errno != EBADF)
        return NEG_ERRNO;
    /* An O_PATH handle: name it through /proc, which refers to exactly this object. */
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    return utimensat(AT_FDCWD, p, ts, 0) < 0 ? NEG_ERRNO : 0;
}

int os_fs_set_times_at(int dirfd, const char *name, uint64_t atim, uint64_t mtim)
{
    struct timespec ts[2];
    to_timespec(atim, &ts[0]);
    to_timespec(mtim, &ts[1]);
    return utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? NEG_ERRNO : 0;
}

/* ---- directories ------------------------------------------------------------------------------ */

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static OsFileType type_of_dt(unsigned char t)
{
    switch (t) {
    case DT_BLK: return OS_FT_BLOCK;
    case DT_CHR: return OS_FT_CHAR;
    case DT_DIR: return OS_FT_DIR;
    case DT_REG: return OS_FT_FILE;
    case DT_LNK: return OS_FT_SYMLINK;
    case DT_FIFO: return OS_FT_FIFO;
    case DT_SOCK: return OS_FT_SOCK_STREAM;
    default: return OS_FT_UNKNOWN;
    }
}

int os_fs_readdir(int fd, uint64_t cookie, OsDirEach each, void *ctx)
{
    /* The directory's own offsets (d_off) are the cookies: seeking to one resumes after that entry. */
    if (cookie > INT64_MAX)
        return -EINVAL;
    if (lseek(fd, (off_t)cookie, SEEK_SET) < 0)
        return NEG_ERRNO;
    _Alignas(8) char buf[8192];
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n < 0)
            return NEG_ERRNO;
        if (n == 0)
            return 0;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(void *)(buf + off);
            off += d->d_reclen;
            if (!each(ctx, (uint64_t)d->d_off, d->d_ino, type_of_dt(d->d_type), d->d_name, strlen(d->d_name)))
                return 0;
        }
    }
}

int os_fs_mkdirat(int dirfd, const char *name)
{
    return mkdirat(dirfd, name, 0777) < 0 ? NEG_ERRNO : 0;
}

int os_fs_unlinkat(int dirfd, const char *name, bool dir)
{
    return unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) < 0 ? NEG_ERRNO : 0;
}

int os_fs_renameat(int olddir, const char *oldname, int newdir, const char *newname)
{
    return renameat(olddir, oldname, newdir, newname) < 0 ? NEG_ERRNO : 0;
}

int os_fs_symlinkat(const char *target, int dirfd, const char *name)
{
    return symlinkat(target, dirfd, name) < 0 ? NEG_ERRNO : 0;
}

int os_fs_readlinkat(int dirfd, const char *name, char *buf, size_t cap)
{
    /* Straight into the caller's buffer; when it is full, the link's own size says how long the
     * target is (no scratch copy, so nothing to allocate). */
    ssize_t n = readlinkat(dirfd, name, buf, cap);
    if (n < 0)
        return NEG_ERRNO;
    if ((size_t)n < cap)
        return (int)n;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return NEG_ERRNO;
    return st.st_size > n ? (int)(st.st_size > INT_MAX ? INT_MAX : st.st_size) : (int)n;
}

int os_fs_linkat(int olddir, const char *oldname, int newdir, const char *newname)
{
    return linkat(olddir, oldname, newdir, newname, 0) < 0 ? NEG_ERRNO : 0;
}

int os_fs_link_fd(int fd, int newdir, const char *newname)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, p, newdir, newname, AT_SYMLINK_FOLLOW) < 0 ? NEG_ERRNO : 0;
}
