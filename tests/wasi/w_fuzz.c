/* w_fuzz.c: hostile arguments to every WASI function: random fds, pointers inside and outside linear
 * memory, lengths up to 4 GiB, random flag bits and path text full of "..", "/" and NUL. Every call
 * must return an errno from the spec (0..76): never a trap, never a crash of the host. Run in a
 * scratch preopen "sandbox" with stdin from /dev/null; argv[1] seeds the generator, argv[2] is the
 * number of rounds. stdio (fds 0-2) is left alone so the report stays readable, and proc_exit and
 * poll_oneoff (which would end or sleep) are exercised by the other programs. */
#include "check.h"

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef int32_t I;
typedef int64_t L;
IMPORT(args_get) I f_args_get(I, I);
IMPORT(args_sizes_get) I f_args_sizes_get(I, I);
IMPORT(environ_get) I f_environ_get(I, I);
IMPORT(environ_sizes_get) I f_environ_sizes_get(I, I);
IMPORT(clock_res_get) I f_clock_res_get(I, I);
IMPORT(clock_time_get) I f_clock_time_get(I, L, I);
IMPORT(fd_advise) I f_fd_advise(I, L, L, I);
IMPORT(fd_allocate) I f_fd_allocate(I, L, L);
IMPORT(fd_close) I f_fd_close(I);
IMPORT(fd_datasync) I f_fd_datasync(I);
IMPORT(fd_fdstat_get) I f_fd_fdstat_get(I, I);
IMPORT(fd_fdstat_set_flags) I f_fd_fdstat_set_flags(I, I);
IMPORT(fd_fdstat_set_rights) I f_fd_fdstat_set_rights(I, L, L);
IMPORT(fd_filestat_get) I f_fd_filestat_get(I, I);
IMPORT(fd_filestat_set_size) I f_fd_filestat_set_size(I, L);
IMPORT(fd_filestat_set_times) I f_fd_filestat_set_times(I, L, L, I);
IMPORT(fd_pread) I f_fd_pread(I, I, I, L, I);
IMPORT(fd_prestat_get) I f_fd_prestat_get(I, I);
IMPORT(fd_prestat_dir_name) I f_fd_prestat_dir_name(I, I, I);
IMPORT(fd_pwrite) I f_fd_pwrite(I, I, I, L, I);
IMPORT(fd_read) I f_fd_read(I, I, I, I);
IMPORT(fd_readdir) I f_fd_readdir(I, I, I, L, I);
IMPORT(fd_renumber) I f_fd_renumber(I, I);
IMPORT(fd_seek) I f_fd_seek(I, L, I, I);
IMPORT(fd_sync) I f_fd_sync(I);
IMPORT(fd_tell) I f_fd_tell(I, I);
IMPORT(fd_write) I f_fd_write(I, I, I, I);
IMPORT(path_create_directory) I f_path_create_directory(I, I, I);
IMPORT(path_filestat_get) I f_path_filestat_get(I, I, I, I, I);
IMPORT(path_filestat_set_times) I f_path_filestat_set_times(I, I, I, I, L, L, I);
IMPORT(path_link) I f_path_link(I, I, I, I, I, I, I);
IMPORT(path_open) I f_path_open(I, I, I, I, I, L, L, I, I);
IMPORT(path_readlink) I f_path_readlink(I, I, I, I, I, I);
IMPORT(path_remove_directory) I f_path_remove_directory(I, I, I);
IMPORT(path_rename) I f_path_rename(I, I, I, I, I, I);
IMPORT(path_symlink) I f_path_symlink(I, I, I, I, I);
IMPORT(path_unlink_file) I f_path_unlink_file(I, I, I);
IMPORT(proc_raise) I f_proc_raise(I);
IMPORT(sched_yield) I f_sched_yield(void);
IMPORT(random_get) I f_random_get(I, I);
IMPORT(sock_accept) I f_sock_accept(I, I, I);
IMPORT(sock_recv) I f_sock_recv(I, I, I, I, I, I);
IMPORT(sock_send) I f_sock_send(I, I, I, I, I);
IMPORT(sock_shutdown) I f_sock_shutdown(I, I);

static uint64_t seed;
static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

#define SCRATCH 65536
static uint8_t scratch[SCRATCH];
static uint32_t memsize;

/* A pointer: mostly inside scratch, sometimes at or past the end of memory, or 0. */
static I P(void)
{
    switch (rnd() % 8) {
    case 0: return (I)(memsize - (uint32_t)(rnd() % 64));
    case 1: return (I)(uint32_t)rnd();
    case 2: return (I)0xFFFFFFF0u;
    default: return (I)(uintptr_t)(scratch + rnd() % (SCRATCH - 256));
    }
}
/* A length: mostly small, sometimes huge. */
static I N(void)
{
    switch (rnd() % 8) {
    case 0: return (I)(uint32_t)rnd();
    case 1: return (I)0x7FFFFFFF;
    default: return (I)(rnd() % 200);
    }
}
/* An fd: never stdio; the preopen, files opened below, closed or absurd numbers. */
static I FD(void)
{
    static const I fds[] = {3, 3, 4, 5, 6, 7, 8, 9, 99, -1, 0x7FFFFFFF};
    return fds[rnd() % (sizeof fds / sizeof fds[0])];
}
static I FL(void)
{
    return (rnd() % 4) ? (I)(rnd() % 32) : (I)(uint32_t)rnd();
}
static L T64(void)
{
    return (rnd() % 4) ? (L)(rnd() % 4096) : (L)rnd();
}

/* Fill scratch with path-like text and iovec-like words. */
static void refill(void)
{
    static const char *parts[] = {"a", "b", "..", ".", "/", "sub", "x.txt", "/etc", "\0", "//", "link", "f"};
    for (size_t i = 2048; i < SCRATCH / 2;) {
        const char *p = parts[rnd() % (sizeof parts / sizeof parts[0])];
        size_t l = p[0] ? strlen(p) : 1;
        if (i + l + 1 >= SCRATCH / 2)
            break;
        memcpy(scratch + i, p, l);
        i += l;
        if (rnd() % 3 == 0)
            scratch[i++] = '/';
    }
    /* iovecs: (pointer, length) pairs, some pointing into scratch, some not */
    for (size_t i = SCRATCH / 2; i + 8 <= SCRATCH; i += 8) {
        uint32_t p = (uint32_t)P(), l = (uint32_t)(rnd() % 3 ? rnd() % 128 : rnd());
        memcpy(scratch + i, &p, 4);
        memcpy(scratch + i + 4, &l, 4);
    }
}

/* A path (pointer and length): half the time a real name in the sandbox, else random text. */
static const char *const names[] = {"a", "sub", "x.txt", "sub/x.txt", "link", "sub/..", "../a", "sub/deep",
                                    "f", "sub/f", ".", "link/x.txt"};
#define NNAMES (sizeof names / sizeof names[0])
static I PATH(I *len)
{
    if (rnd() % 2) {
        size_t k = rnd() % NNAMES;
        memcpy(scratch + 1024 + 64 * k, names[k], strlen(names[k]));
        *len = (I)strlen(names[k]);
        return (I)(uintptr_t)(scratch + 1024 + 64 * k);
    }
    *len = N();
    return P();
}

static I IOV(void)
{
    return (rnd() % 4) ? (I)(uintptr_t)(scratch + SCRATCH / 2 + 8 * (rnd() % 512)) : P();
}

int main(int argc, char **argv)
{
    seed = argc > 1 ? strtoull(argv[1], NULL, 0) | 1 : 88172645463325252ull;
    long rounds = argc > 2 ? atol(argv[2]) : 2000;
    memsize = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    int dir = find_preopen("sandbox");
    CHECK("preopen sandbox found", dir == 3);
    if (dir != 3)
        CHECK_DONE();
    long calls = 0, bad = 0, successes = 0;
    int last_bad_fn = -1, last_bad_val = 0;
    for (long r = 0; r < rounds; r++) {
        if (r % 64 == 0)
            refill();
        int which = (int)(rnd() % 44);
        I e, l1, l2;
        I p1 = PATH(&l1), p2 = PATH(&l2);
        switch (which) {
        case 0: e = f_args_get(P(), P()); break;
        case 1: e = f_args_sizes_get(P(), P()); break;
        case 2: e = f_environ_get(P(), P()); break;
        case 3: e = f_environ_sizes_get(P(), P()); break;
        case 4: e = f_clock_res_get(FL(), P()); break;
        case 5: e = f_clock_time_get(FL(), T64(), P()); break;
        case 6: e = f_fd_advise(FD(), T64(), T64(), FL()); break;
        case 7: e = f_fd_allocate(FD(), (L)(rnd() % 8192), (L)(rnd() % 4096)); break;
        case 8: e = (rnd() % 8 == 0) ? f_fd_close(FD()) : 0; break;
        case 9: e = f_fd_datasync(FD()); break;
        case 10: e = f_fd_fdstat_get(FD(), P()); break;
        case 11: e = f_fd_fdstat_set_flags(FD(), FL() & ~4); break; /* not NONBLOCK: shared with the host */
        case 12: e = f_fd_fdstat_set_rights(FD(), (L)rnd(), (L)rnd()); break;
        case 13: e = f_fd_filestat_get(FD(), P()); break;
        case 14: e = f_fd_filestat_set_size(FD(), (L)(rnd() % 100000)); break;
        case 15: e = f_fd_filestat_set_times(FD(), T64(), T64(), FL()); break;
        case 16: e = f_fd_pread(FD(), IOV(), (I)(rnd() % 6), T64(), P()); break;
        case 17: e = f_fd_prestat_get(FD(), P()); break;
        case 18: e = f_fd_prestat_dir_name(FD(), P(), N()); break;
        case 19: e = f_fd_pwrite(FD(), IOV(), (I)(rnd() % 6), (L)(rnd() % 100000), P()); break;
        case 20: e = f_fd_read(FD(), IOV(), (rnd() % 8) ? (I)(rnd() % 6) : N(), P()); break;
        case 21: e = f_fd_readdir(FD(), P(), N(), T64(), P()); break;
        case 22: e = (rnd() % 8 == 0) ? f_fd_renumber(FD(), FD()) : 0; break;
        case 23: e = f_fd_seek(FD(), T64(), FL(), P()); break;
        case 24: e = f_fd_sync(FD()); break;
        case 25: e = f_fd_tell(FD(), P()); break;
        case 26: e = f_fd_write(FD(), IOV(), (rnd() % 8) ? (I)(rnd() % 6) : N(), P()); break;
        case 27: e = f_path_create_directory(FD(), p1, l1); break;
        case 28: e = f_path_filestat_get(FD(), FL(), p1, l1, P()); break;
        case 29: e = f_path_filestat_set_times(FD(), FL(), p1, l1, T64(), T64(), FL()); break;
        case 30: e = f_path_link(FD(), FL(), p1, l1, FD(), p2, l2); break;
        case 31: e = f_path_open(FD(), FL(), p1, l1, FL(), (L)rnd(), (L)rnd(), FL() & ~4, P()); break;
        case 32: e = f_path_readlink(FD(), p1, l1, P(), N(), P()); break;
        case 33: e = f_path_remove_directory(FD(), p1, l1); break;
        case 34: e = f_path_rename(FD(), p1, l1, FD(), p2, l2); break;
        case 35: e = f_path_symlink(p1, l1, FD(), p2, l2); break;
        case 36: e = f_path_unlink_file(FD(), p1, l1); break;
        case 37: e = f_proc_raise((rnd() % 2) ? 0 : FL() + 31); break; /* never a real signal */
        case 38: e = f_sched_yield(); break;
        case 39: e = f_random_get(P(), N()); break;
        case 40: e = f_sock_accept(FD(), FL(), P()); break;
        case 41: e = f_sock_recv(FD(), IOV(), (I)(rnd() % 6), FL(), P(), P()); break;
        case 42: e = f_sock_send(FD(), IOV(), (I)(rnd() % 6), FL(), P()); break;
        default: e = f_sock_shutdown(FD(), FL()); break;
        }
        calls++;
        if (e == 0)
            successes++;
        if (e < 0 || e > 76) {
            bad++;
            last_bad_fn = which;
            last_bad_val = e;
        }
    }
    printf("ok %ld calls, %ld succeeded\n", calls, successes);
    CHECK_EQ("calls returning an errno outside 0..76", bad, 0);
    if (bad)
        printf("last: call #%d returned %d\n", last_bad_fn, last_bad_val);
    CHECK_DONE();
}
