/* os/fs.h: files and directories for the WASI layer: thin wrappers over the host's fd calls and the
 * sandboxed path resolver (openat2 RESOLVE_BENEATH, or a component-by-component walk where openat2 is
 * missing). Every call returns 0 or a value >= 0 on success and -errno (POSIX numbering) on failure. */
#ifndef LODGE_OS_FS_H
#define LODGE_OS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

/* Open flags, host-neutral. */
enum {
    OS_FS_READ = 1 << 0,
    OS_FS_WRITE = 1 << 1,
    OS_FS_CREATE = 1 << 2,
    OS_FS_EXCL = 1 << 3,
    OS_FS_TRUNC = 1 << 4,
    OS_FS_DIRECTORY = 1 << 5,
    OS_FS_APPEND = 1 << 6,
    OS_FS_NONBLOCK = 1 << 7,
    OS_FS_DSYNC = 1 << 8,
    OS_FS_SYNC = 1 << 9,
    OS_FS_RSYNC = 1 << 10,
    OS_FS_NOFOLLOW = 1 << 11, /* the final component must not be a symlink (ELOOP) */
    OS_FS_PATH = 1 << 12,     /* a handle for naming only (O_PATH): no read, no write */
};

/* -errno meaning "the path would leave the directory it is resolved beneath". */
#define OS_FS_ESCAPE (-100000)

typedef enum OsFileType {
    OS_FT_UNKNOWN = 0,
    OS_FT_BLOCK,
    OS_FT_CHAR,
    OS_FT_DIR,
    OS_FT_FILE,
    OS_FT_SOCK_DGRAM,
    OS_FT_SOCK_STREAM,
    OS_FT_SYMLINK,
    OS_FT_FIFO,
} OsFileType;

typedef struct OsStat {
    uint64_t dev, ino, nlink, size;
    uint64_t atim, mtim, ctim; /* nanoseconds since the epoch */
    OsFileType type;
} OsStat;

/* Which resolver os_fs_open_beneath uses. */
typedef enum OsResolver {
    OS_RESOLVE_AUTO = 0,  /* openat2 when the kernel has it, else the walk */
    OS_RESOLVE_WALK,      /* always the portable walk (tests use it to check the fallback) */
} OsResolver;

/* Open `path` relative to dirfd without ever leaving dirfd's tree: absolute paths, `..` above dirfd
 * and symlinks (at any depth) that lead outside fail with OS_FS_ESCAPE. Returns the new fd. */
/* `a` pays for the portable walk's scratch (path text, link targets): the guest's allocator; NULL is
 * unaccounted. */
int os_fs_open_beneath(Alloc *a, OsResolver how, int dirfd, const char *path, int flags, unsigned mode);
/* Open a host directory (for a preopen); returns the fd or -errno. */
int os_fs_open_dir(const char *host_path);

int os_fs_close(int fd);
int os_fs_dup_to(int fd, int target);        /* dup fd onto target (close-on-exec); returns target */
int os_fs_fstat(int fd, OsStat *st);
/* stat a name in dirfd without following a final symlink. */
int os_fs_lstatat(int dirfd, const char *name, OsStat *st);
int os_fs_type_of(int fd, OsFileType *type);
bool os_fs_isatty(int fd);

/* readv/writev/preadv/pwritev over iovecs given as (base, len) pairs. Return bytes moved. */
typedef struct OsIov {
    void *base;
    size_t len;
} OsIov;
int64_t os_fs_readv(int fd, const OsIov *iov, int n);
int64_t os_fs_writev(int fd, const OsIov *iov, int n);
int64_t os_fs_preadv(int fd, const OsIov *iov, int n, uint64_t off);
int64_t os_fs_pwritev(int fd, const OsIov *iov, int n, uint64_t off);
/* whence: 0 set, 1 cur, 2 end. Returns the new offset. */
int64_t os_fs_seek(int fd, int64_t off, int whence);
int os_fs_sync(int fd);
int os_fs_datasync(int fd);
/* advice: 0 normal, 1 sequential, 2 random, 3 willneed, 4 dontneed, 5 noreuse. */
int os_fs_advise(int fd, uint64_t off, uint64_t len, int advice);
int os_fs_allocate(int fd, uint64_t off, uint64_t len);
int os_fs_truncate(int fd, uint64_t size);
/* Status flags of an open fd: OS_FS_APPEND, OS_FS_NONBLOCK, OS_FS_DSYNC, OS_FS_SYNC, OS_FS_RSYNC. */
int os_fs_get_flags(int fd);
int os_fs_set_flags(int fd, int flags);  /* only APPEND and NONBLOCK can change */
/* Set times on an fd (any kind, O_PATH included). A time of OS_TIME_NOW is now, OS_TIME_OMIT unchanged. */
#define OS_TIME_NOW UINT64_MAX
#define OS_TIME_OMIT (UINT64_MAX - 1)
int os_fs_set_times(int fd, uint64_t atim, uint64_t mtim);
/* Set times on a name in dirfd without following it. */
int os_fs_set_times_at(int dirfd, const char *name, uint64_t atim, uint64_t mtim);

/* Directory entries from position `cookie` (0 = start). Calls each(ctx, ...) per entry until it returns
 * false; next is the cookie of the entry after this one. Returns 0 or -errno. */
typedef bool (*OsDirEach)(void *ctx, uint64_t next, uint64_t ino, OsFileType type, const char *name,
                          size_t namelen);
int os_fs_readdir(int fd, uint64_t cookie, OsDirEach each, void *ctx);

/* The *at family, names relative to dirfd and never following a final symlink. */
int os_fs_mkdirat(int dirfd, const char *name);
int os_fs_unlinkat(int dirfd, const char *name, bool dir);
int os_fs_renameat(int olddir, const char *oldname, int newdir, const char *newname);
int os_fs_symlinkat(const char *target, int dirfd, const char *name);
int os_fs_readlinkat(int dirfd, const char *name, char *buf, size_t cap); /* returns length (may be > cap) */
int os_fs_linkat(int olddir, const char *oldname, int newdir, const char *newname);
/* Hard-link the object open as fd (an O_PATH handle) to newdir/newname. */
int os_fs_link_fd(int fd, int newdir, const char *newname);

#endif
