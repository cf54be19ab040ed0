/* w_race.c: resolution racing a rename. The path d1/d2/../../f.txt names sandbox/f.txt; while this
 * loops, the test script moves d2 out of the sandbox and back, so a resolver that walked `..` by name
 * after the move would reach a file outside whose text is SECRET. No open may ever read it.
 * argv[1]: iterations. */
#include "check.h"

int main(int argc, char **argv)
{
    int dir = find_preopen("sandbox");
    CHECK("preopen sandbox found", dir >= 3);
    if (dir < 0)
        CHECK_DONE();
    int iters = argc > 1 ? atoi(argv[1]) : 20000;
    __wasi_fdstat_t ds;
    __wasi_fd_fdstat_get(dir, &ds);
    __wasi_rights_t r = ds.fs_rights_inheriting & ~__WASI_RIGHTS_FD_WRITE;
    int inside = 0, refused = 0, leaked = 0;
    for (int i = 0; i < iters; i++) {
        __wasi_fd_t fd;
        if (__wasi_path_open(dir, 0, "d1/d2/../../f.txt", 0, r, r, 0, &fd) != 0) {
            refused++;
            continue;
        }
        char buf[16] = {0};
        __wasi_iovec_t io = {(uint8_t *)buf, sizeof buf - 1};
        __wasi_size_t n;
        __wasi_fd_read(fd, &io, 1, &n);
        __wasi_fd_close(fd);
        if (strncmp(buf, "SECRET", 6) == 0)
            leaked++;
        else
            inside++;
    }
    /* Counts vary with timing; only the leak count is asserted. */
    fprintf(stderr, "race: %d inside, %d refused, %d leaked\n", inside, refused, leaked);
    CHECK_EQ("opens that reached outside", leaked, 0);
    CHECK("some opens succeeded", inside > 0);
    CHECK_DONE();
}
