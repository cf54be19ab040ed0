/* wasi/internal.h: what the WASI handlers share: the preview1 ABI (errno values, rights, flags, struct
 * layouts, exactly as the witx spec defines them), the context and fd table, and checked access to
 * guest memory. Not for use outside src/wasi/. */
#ifndef LODGE_WASI_INTERNAL_H
#define LODGE_WASI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "lodge.h"
#include "os/fs.h"
#include "wasi/wasi.h"

/* ---- errno (witx `errno`, u16) ---------------------------------------------------------------- */
#define WASI_ERRNO_LIST(X)                                                                                  \
    X(SUCCESS, 0) X(2BIG, 1) X(ACCES, 2) X(ADDRINUSE, 3) X(ADDRNOTAVAIL, 4) X(AFNOSUPPORT, 5) X(AGAIN, 6)     \
    X(ALREADY, 7) X(BADF, 8) X(BADMSG, 9) X(BUSY, 10) X(CANCELED, 11) X(CHILD, 12) X(CONNABORTED, 13)       \
    X(CONNREFUSED, 14) X(CONNRESET, 15) X(DEADLK, 16) X(DESTADDRREQ, 17) X(DOM, 18) X(DQUOT, 19)           \
    X(EXIST, 20) X(FAULT, 21) X(FBIG, 22) X(HOSTUNREACH, 23) X(IDRM, 24) X(ILSEQ, 25) X(INPROGRESS, 26)    \
    X(INTR, 27) X(INVAL, 28) X(IO, 29) X(ISCONN, 30) X(ISDIR, 31) X(LOOP, 32) X(MFILE, 33) X(MLINK, 34)    \
    X(MSGSIZE, 35) X(MULTIHOP, 36) X(NAMETOOLONG, 37) X(NETDOWN, 38) X(NETRESET, 39) X(NETUNREACH, 40)     \
    X(NFILE, 41) X(NOBUFS, 42) X(NODEV, 43) X(NOENT, 44) X(NOEXEC, 45) X(NOLCK, 46) X(NOLINK, 47)          \
    X(NOMEM, 48) X(NOMSG, 49) X(NOPROTOOPT, 50) X(NOSPC, 51) X(NOSYS, 52) X(NOTCONN, 53) X(NOTDIR, 54)     \
    X(NOTEMPTY, 55) X(NOTRECOVERABLE, 56) X(NOTSOCK, 57) X(NOTSUP, 58) X(NOTTY, 59) X(NXIO, 60)            \
    X(OVERFLOW, 61) X(OWNERDEAD, 62) X(PERM, 63) X(PIPE, 64) X(PROTO, 65) X(PROTONOSUPPORT, 66)            \
    X(PROTOTYPE, 67) X(RANGE, 68) X(ROFS, 69) X(SPIPE, 70) X(SRCH, 71) X(STALE, 72) X(TIMEDOUT, 73)        \
    X(TXTBSY, 74) X(XDEV, 75) X(NOTCAPABLE, 76)

enum {
#define X(name, val) WASI_E##name = val,
    WASI_ERRNO_LIST(X)
#undef X
};

/* Host result (-errno or OS_FS_ESCAPE) to a WASI errno. */
int wasi_errno_from_host(int neg_errno);

/* ---- rights (witx `rights`, u64) -------------------------------------------------------------- */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_SYNC (1ull << 4)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_ADVISE (1ull << 7)
#define WASI_RIGHT_FD_ALLOCATE (1ull << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY (1ull << 9)
#define WASI_RIGHT_PATH_CREATE_FILE (1ull << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE (1ull << 11)
#define WASI_RIGHT_PATH_LINK_TARGET (1ull << 12)
#define WASI_RIGHT_PATH_OPEN (1ull << 13)
#define WASI_RIGHT_FD_READDIR (1ull << 14)
#define WASI_RIGHT_PATH_READLINK (1ull << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE (1ull << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET (1ull << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET (1ull << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES (1ull << 23)
#define WASI_RIGHT_PATH_SYMLINK (1ull << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY (1ull << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE (1ull << 26)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN (1ull << 28)
#define WASI_RIGHT_SOCK_ACCEPT (1ull << 29)
#define WASI_RIGHTS_ALL ((1ull << 30) - 1)

/* What each kind of object can ever do; an fd's rights are always within its kind's set. */
#define WASI_RIGHTS_FILE                                                                                  \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |    \
     WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE |                \
     WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |               \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIR                                                                                   \
    (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |                          \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE |        \
     WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN | WASI_RIGHT_FD_READDIR |                          \
     WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |            \
     WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                                    \
     WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES |  \
     WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
#define WASI_RIGHTS_TTY                                                                                   \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_WRITE |                           \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_SOCK                                                                                  \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_WRITE |                           \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN |                \
     WASI_RIGHT_SOCK_ACCEPT)
/* Rights a read-only preopen never passes on: everything that changes a file or the tree. */
#define WASI_RIGHTS_WRITING                                                                               \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |                               \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE |        \
     WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |         \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                              \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |        \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)

/* ---- small enums and flags -------------------------------------------------------------------- */
enum {
    WASI_FT_UNKNOWN = 0, WASI_FT_BLOCK = 1, WASI_FT_CHAR = 2, WASI_FT_DIR = 3, WASI_FT_FILE = 4,
    WASI_FT_SOCK_DGRAM = 5, WASI_FT_SOCK_STREAM = 6, WASI_FT_SYMLINK = 7,
};
enum { WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4, WASI_FDFLAG_RSYNC = 8,
       WASI_FDFLAG_SYNC = 16 };
enum { WASI_OFLAG_CREAT = 1, WASI_OFLAG_DIRECTORY = 2, WASI_OFLAG_EXCL = 4, WASI_OFLAG_TRUNC = 8 };
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8 };
enum { WASI_EVENT_CLOCK = 0, WASI_EVENT_FD_READ = 1, WASI_EVENT_FD_WRITE = 2 };
enum { WASI_SUBCLOCK_ABSTIME = 1 };
enum { WASI_EVENTRW_HANGUP = 1 };
enum { WASI_RIFLAG_PEEK = 1, WASI_RIFLAG_WAITALL = 2 };
enum { WASI_ROFLAG_TRUNCATED = 1 };
enum { WASI_SDFLAG_RD = 1, WASI_SDFLAG_WR = 2 };

/* ---- the context ------------------------------------------------------------------------------ */

#define WASI_FD_FREE (-1)  /* a slot the guest's next open may take */
#define WASI_FD_HOLE (-2)  /* a stdio number with nothing behind it: BADF, and never reused */

typedef struct WasiFd {
    int host;                /* host fd, or WASI_FD_FREE / WASI_FD_HOLE */
    uint8_t type;            /* WASI_FT_* */
    bool owned;              /* close the host fd when the guest closes it (not stdio, not given sockets) */
    uint64_t base, inheriting;
    char *preopen;           /* the guest's name for a preopened directory, else NULL */
} WasiFd;

typedef struct WasiBinding {
    WasiCtx *ctx;
    uint32_t index;          /* into the function table */
} WasiBinding;

struct WasiCtx {
    Alloc *alloc;            /* every allocation of the context and its calls (NULL: unaccounted) */
    char *args;              /* argv strings, NUL-separated */
    uint32_t argc, args_len;
    char *env;
    uint32_t envc, env_len;
    WasiFd *fds;
    uint32_t nfds;
    OsResolver resolver;
    lodge_memory_t *memory;  /* the instance's exported memory, found on the first call */
    WasiBinding *bindings;   /* one per table entry */
};

/* Allocation on the context's account: the embedder's store pays for the fd table, preopen names, path
 * copies and scratch arrays, so its max_memory bounds them and a guest cannot grow them unnoticed. */
static inline void *wasi_alloc(WasiCtx *ctx, size_t n)
{
    return alloc_malloc(ctx->alloc, n);
}
static inline void *wasi_calloc(WasiCtx *ctx, size_t count, size_t size)
{
    return alloc_calloc(ctx->alloc, count, size);
}
static inline void wasi_free(WasiCtx *ctx, void *p, size_t n)
{
    alloc_free(ctx->alloc, p, n);
}
/* A NUL-terminated copy on the account; freed with wasi_str_free (its size is its length + 1). */
char *wasi_strdup(WasiCtx *ctx, const char *s);
void wasi_str_free(WasiCtx *ctx, char *s);

/* One host call: the context, guest memory as it is during this call, and the error to fill for a
 * trap or an exit. */
typedef struct WasiCall {
    WasiCtx *ctx;
    uint8_t *mem;
    uint64_t memsize;
    lodge_error_t *err;
} WasiCall;

/* A handler returns a WASI errno (>= 0), or -1 after filling c->err to trap or exit. */
typedef int (*WasiHandler)(WasiCall *c, const lodge_val_t *a);

#define WASI_FN(name, params, results, handler) int handler(WasiCall *c, const lodge_val_t *a);
#include "wasi/funcs.def"
#undef WASI_FN

/* The fd entry for `fd` if it is open and holds every right in `rights`; else NULL with *e set to
 * BADF or NOTCAPABLE. */
WasiFd *wasi_ctx_fd(WasiCtx *ctx, uint32_t fd, uint64_t rights, int *e);
/* A free slot (the lowest), filled with the given entry; returns the guest fd or -1 (MFILE). */
int wasi_ctx_fd_add(WasiCtx *ctx, const WasiFd *entry);
void wasi_ctx_fd_release(WasiCtx *ctx, uint32_t fd);
uint8_t wasi_ctx_filetype(OsFileType t, int host_fd);
/* The rights an object of this type can have at most. */
uint64_t wasi_ctx_rights_for(uint8_t type, bool tty);

/* ---- guest memory: every pointer is checked; an access outside memory is the guest's FAULT ------- */

/* SAFETY: the range [p, p+len) is checked against the memory size before the pointer is formed. */
static inline uint8_t *wasi_mem(WasiCall *c, uint32_t p, uint64_t len)
{
    if ((uint64_t)p + len > c->memsize)
        return NULL;
    return c->mem + p;
}
static inline uint32_t wasi_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t wasi_ld64(const uint8_t *p)
{
    return (uint64_t)wasi_ld32(p) | (uint64_t)wasi_ld32(p + 4) << 32;
}
static inline uint16_t wasi_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline void wasi_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void wasi_st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wasi_st64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
/* Store a u32/u64 result at a guest pointer; FAULT when it is out of bounds. */
static inline int wasi_put32(WasiCall *c, uint32_t p, uint32_t v)
{
    uint8_t *m = wasi_mem(c, p, 4);
    if (!m)
        return WASI_EFAULT;
    wasi_st32(m, v);
    return WASI_ESUCCESS;
}
static inline int wasi_put64(WasiCall *c, uint32_t p, uint64_t v)
{
    uint8_t *m = wasi_mem(c, p, 8);
    if (!m)
        return WASI_EFAULT;
    wasi_st64(m, v);
    return WASI_ESUCCESS;
}

#define WASI_A32(i) ((uint32_t)a[i].of.i32)
#define WASI_A64(i) ((uint64_t)a[i].of.i64)

/* Gather a guest iovec array into host iovecs (fills *out, which the caller frees with wasi_iov_free
 * when it is not `stack`). Returns a WASI errno. */
#define WASI_IOV_STACK 16
int wasi_fd_iovs(WasiCall *c, uint32_t iovs, uint32_t n, OsIov *stack, OsIov **out);
void wasi_fd_iovs_free(WasiCall *c, OsIov *iov, OsIov *stack, uint32_t n);
/* Fill a 64-byte filestat at guest pointer p. */
int wasi_fd_put_filestat(WasiCall *c, uint32_t p, const OsStat *st);
/* A WASI timestamp pair from fst_flags; returns a WASI errno. */
int wasi_fd_times(uint64_t atim, uint64_t mtim, uint32_t fst, uint64_t *a_out, uint64_t *m_out);

#endif
