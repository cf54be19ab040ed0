/* w_rights.c: a read-only preopen ("ro", from --dir-ro) and dropped rights: reading works, and every
 * change to a file or the tree is refused with NOTCAPABLE. The test script then checks that the host
 * directory is unchanged. Also wasi-libc's view: fopen(.., "w") fails with ENOTCAPABLE. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

#define NOCAP(name, expr) CHECK_EQ(name, expr, __WASI_ERRNO_NOTCAPABLE)

int main(void)
{
    int dir = find_preopen("ro");
    CHECK("preopen ro found", dir >= 3);
    if (dir < 0)
        CHECK_DONE();
    __wasi_fdstat_t ds;
    CHECK_EQ("fd_fdstat_get ro", __wasi_fd_fdstat_get(dir, &ds), 0);
    CHECK("ro has no create right", !(ds.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE));
    CHECK("ro passes on no write right", !(ds.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE));
    CHECK("ro can open and read", (ds.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) &&
                                      (ds.fs_rights_inheriting & __WASI_RIGHTS_FD_READ));
    __wasi_rights_t inh = ds.fs_rights_inheriting;
    __wasi_fd_t fd;
    CHECK_EQ("open data.txt for reading", __wasi_path_open(dir, 0, "data.txt", 0, inh, inh, 0, &fd), 0);
    char buf[32] = {0};
    __wasi_iovec_t io = {(uint8_t *)buf, sizeof buf - 1};
    __wasi_size_t n;
    CHECK_EQ("read data.txt", __wasi_fd_read(fd, &io, 1, &n), 0);
    CHECK("data.txt text", strncmp(buf, "read-only data", 14) == 0);
    __wasi_ciovec_t w = {(const uint8_t *)"x", 1};
    NOCAP("fd_write on a file from ro", __wasi_fd_write(fd, &w, 1, &n));
    NOCAP("fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 0));
    NOCAP("fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    NOCAP("fd_allocate", __wasi_fd_allocate(fd, 0, 10));
    NOCAP("fd_fdstat_set_rights cannot gain write",
          __wasi_fd_fdstat_set_rights(fd, inh | __WASI_RIGHTS_FD_WRITE, 0));
    __wasi_fd_close(fd);
    NOCAP("path_open asking for write", __wasi_path_open(dir, 0, "data.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd) == 0
              ? (__wasi_fd_write(fd, &w, 1, &n)) : __WASI_ERRNO_NOTCAPABLE);
    NOCAP("path_open CREAT", __wasi_path_open(dir, 0, "new.txt", __WASI_OFLAGS_CREAT, inh, inh, 0, &fd));
    NOCAP("path_open TRUNC", __wasi_path_open(dir, 0, "data.txt", __WASI_OFLAGS_TRUNC, inh, inh, 0, &fd));
    NOCAP("path_create_directory", __wasi_path_create_directory(dir, "newdir"));
    NOCAP("path_unlink_file", __wasi_path_unlink_file(dir, "data.txt"));
    NOCAP("path_remove_directory", __wasi_path_remove_directory(dir, "subdir"));
    NOCAP("path_rename", __wasi_path_rename(dir, "data.txt", dir, "moved.txt"));
    NOCAP("path_link", __wasi_path_link(dir, 0, "data.txt", dir, "hard.txt"));
    NOCAP("path_symlink", __wasi_path_symlink("data.txt", dir, "soft.txt"));
    NOCAP("path_filestat_set_times",
          __wasi_path_filestat_set_times(dir, 0, "data.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    /* A subdirectory opened from ro is read-only too: rights only ever shrink. */
    __wasi_fd_t sub;
    CHECK_EQ("open subdir", __wasi_path_open(dir, 0, "subdir", __WASI_OFLAGS_DIRECTORY, inh, inh, 0, &sub), 0);
    NOCAP("create in subdir", __wasi_path_open(sub, 0, "x", __WASI_OFLAGS_CREAT, inh, inh, 0, &fd));
    __wasi_fd_close(sub);
    /* Through wasi-libc: errno is ENOTCAPABLE. */
    FILE *f = fopen("ro/new.txt", "w");
    CHECK("fopen(w) in ro fails", f == NULL);
    CHECK_EQ("fopen errno", f ? 0 : errno, ENOTCAPABLE);
    int ufd = open("ro/data.txt", O_RDONLY);
    CHECK("open(O_RDONLY) in ro works", ufd >= 0);
    if (ufd >= 0)
        close(ufd);
    CHECK_EQ("unlink() in ro", unlink("ro/data.txt") == 0 ? 0 : errno, ENOTCAPABLE);
    CHECK_DONE();
}
