/* w_path.c: every path_* function inside the preopen "sandbox", with their error paths. */
#include "check.h"

static __wasi_rights_t inh;

static int op(int dir, __wasi_lookupflags_t lf, const char *path, __wasi_oflags_t of, __wasi_fd_t *fd)
{
    return __wasi_path_open(dir, lf, path, of, inh, inh, 0, fd);
}

int main(void)
{
    int dir = find_preopen("sandbox");
    CHECK("preopen sandbox found", dir >= 3);
    if (dir < 0)
        CHECK_DONE();
    __wasi_fdstat_t ds;
    __wasi_fd_fdstat_get(dir, &ds);
    /* Files may be read and written; directories are opened for reading only (as wasi-libc does). */
    inh = ds.fs_rights_inheriting;
    __wasi_rights_t dirrights = inh & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE |
                                        __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_DATASYNC);
    __wasi_fd_t fd;
    __wasi_filestat_t st;

    /* create_directory */
    CHECK_EQ("path_create_directory d1", __wasi_path_create_directory(dir, "d1"), 0);
    CHECK_EQ("path_create_directory d1 again", __wasi_path_create_directory(dir, "d1"), __WASI_ERRNO_EXIST);
    CHECK_EQ("path_create_directory d1/d2", __wasi_path_create_directory(dir, "d1/d2"), 0);
    CHECK_EQ("path_create_directory missing parent", __wasi_path_create_directory(dir, "nope/x"), __WASI_ERRNO_NOENT);
    CHECK_EQ("path_create_directory empty path", __wasi_path_create_directory(dir, ""), __WASI_ERRNO_NOENT);
    CHECK_FAULT("path_create_directory bad pointer", raw_path_create_directory(dir, (int32_t)0xFFFFFFF0u, 8));
    CHECK_EQ("path_create_directory on a file fd", __wasi_path_create_directory(1, "x"), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_create_directory bad fd", __wasi_path_create_directory(77, "x"), __WASI_ERRNO_BADF);

    /* open */
    CHECK_EQ("path_open create f", op(dir, 0, "f", __WASI_OFLAGS_CREAT, &fd), 0);
    __wasi_ciovec_t io = {(const uint8_t *)"0123456789", 10};
    __wasi_size_t n;
    __wasi_fd_write(fd, &io, 1, &n);
    __wasi_fd_close(fd);
    CHECK_EQ("path_open missing file", op(dir, 0, "missing", 0, &fd), __WASI_ERRNO_NOENT);
    CHECK_EQ("path_open CREAT|EXCL existing", op(dir, 0, "f", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, &fd),
             __WASI_ERRNO_EXIST);
    CHECK_EQ("path_open DIRECTORY on a file", op(dir, 0, "f", __WASI_OFLAGS_DIRECTORY, &fd), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_open file with trailing slash", op(dir, 0, "f/", 0, &fd), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_open through a file", op(dir, 0, "f/x", 0, &fd), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_open d1 as directory",
             __wasi_path_open(dir, 0, "d1", __WASI_OFLAGS_DIRECTORY, dirrights, inh, 0, &fd), 0);
    __wasi_fd_t d1 = fd;
    CHECK_EQ("path_open relative to an opened dir", op(d1, 0, "d2", __WASI_OFLAGS_DIRECTORY, &fd) == 0 ? 0 : 1, 0);
    __wasi_fd_close(fd);
    CHECK_EQ("path_open bad oflags", op(dir, 0, "f", 0x100, &fd), __WASI_ERRNO_INVAL);
    CHECK_EQ("path_open TRUNC", op(dir, 0, "f", __WASI_OFLAGS_TRUNC, &fd), 0);
    CHECK_EQ("TRUNC empties", (__wasi_fd_filestat_get(fd, &st), st.size), 0);
    __wasi_fd_write(fd, &io, 1, &n);
    __wasi_fd_close(fd);
    CHECK_FAULT("path_open bad result pointer",
             raw_path_open(dir, 0, (int32_t)(uintptr_t) "f", 1, 0, (int64_t)inh, (int64_t)inh, 0, (int32_t)0xFFFFFFF0u));
    CHECK_FAULT("path_open bad path pointer",
             raw_path_open(dir, 0, (int32_t)0xFFFFFFF0u, 100, 0, (int64_t)inh, (int64_t)inh, 0, (int32_t)(uintptr_t)&fd));

    /* filestat and times */
    CHECK_EQ("path_filestat_get f", __wasi_path_filestat_get(dir, 0, "f", &st), 0);
    CHECK_EQ("f is a file", st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    CHECK_EQ("f size", st.size, 10);
    CHECK_EQ("path_filestat_get d1", __wasi_path_filestat_get(dir, 0, "d1", &st), 0);
    CHECK_EQ("d1 is a directory", st.filetype, __WASI_FILETYPE_DIRECTORY);
    CHECK_EQ("path_filestat_get missing", __wasi_path_filestat_get(dir, 0, "missing", &st), __WASI_ERRNO_NOENT);
    CHECK_FAULT("path_filestat_get bad pointer", __wasi_path_filestat_get(dir, 0, "f", BADPTR));
    CHECK_EQ("path_filestat_set_times", __wasi_path_filestat_set_times(dir, 0, "f", 5000000000ull, 7000000000ull,
                                                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
    __wasi_path_filestat_get(dir, 0, "f", &st);
    CHECK_EQ("path_filestat_set_times atim", st.atim, 5000000000ull);
    CHECK_EQ("path_filestat_set_times mtim", st.mtim, 7000000000ull);
    CHECK_EQ("path_filestat_set_times bad flags",
             __wasi_path_filestat_set_times(dir, 0, "f", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
             __WASI_ERRNO_INVAL);

    /* symlinks */
    CHECK_EQ("path_symlink lnk -> f", __wasi_path_symlink("f", dir, "lnk"), 0);
    CHECK_EQ("path_symlink onto existing", __wasi_path_symlink("f", dir, "lnk"), __WASI_ERRNO_EXIST);
    char buf[64] = {0};
    __wasi_size_t used = 0;
    CHECK_EQ("path_readlink lnk", __wasi_path_readlink(dir, "lnk", (uint8_t *)buf, sizeof buf, &used), 0);
    CHECK("path_readlink text", used == 1 && buf[0] == 'f');
    CHECK_EQ("path_readlink not a link", __wasi_path_readlink(dir, "f", (uint8_t *)buf, sizeof buf, &used),
             __WASI_ERRNO_INVAL);
    CHECK_EQ("path_readlink missing", __wasi_path_readlink(dir, "missing", (uint8_t *)buf, sizeof buf, &used),
             __WASI_ERRNO_NOENT);
    CHECK_EQ("path_symlink long -> d1/d2", __wasi_path_symlink("d1/d2", dir, "long"), 0);
    CHECK_EQ("path_readlink truncated", __wasi_path_readlink(dir, "long", (uint8_t *)buf, 3, &used), 0);
    CHECK_EQ("path_readlink truncated length", used, 3);
    CHECK_EQ("path_filestat_get lnk (nofollow)", __wasi_path_filestat_get(dir, 0, "lnk", &st), 0);
    CHECK_EQ("lnk is a symlink", st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
    CHECK_EQ("path_filestat_get lnk (follow)",
             __wasi_path_filestat_get(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "lnk", &st), 0);
    CHECK_EQ("lnk followed is a file", st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    CHECK_EQ("path_open lnk without follow", op(dir, 0, "lnk", 0, &fd), __WASI_ERRNO_LOOP);
    CHECK_EQ("path_open lnk with follow", op(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "lnk", 0, &fd), 0);
    __wasi_fd_close(fd);
    CHECK_EQ("path_open through a symlinked dir", op(dir, 0, "long/../d2", __WASI_OFLAGS_DIRECTORY, &fd) == 0 ||
                 op(dir, 0, "long/../d2", __WASI_OFLAGS_DIRECTORY, &fd) == __WASI_ERRNO_NOENT, 1);
    CHECK_EQ("path_symlink loop1 -> loop2", __wasi_path_symlink("loop2", dir, "loop1"), 0);
    CHECK_EQ("path_symlink loop2 -> loop1", __wasi_path_symlink("loop1", dir, "loop2"), 0);
    CHECK_EQ("path_open symlink loop", op(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loop1", 0, &fd), __WASI_ERRNO_LOOP);

    /* links and renames */
    CHECK_EQ("path_link f -> f2", __wasi_path_link(dir, 0, "f", dir, "f2"), 0);
    __wasi_path_filestat_get(dir, 0, "f", &st);
    CHECK_EQ("nlink after link", st.nlink, 2);
    CHECK_EQ("path_link onto existing", __wasi_path_link(dir, 0, "f", dir, "f2"), __WASI_ERRNO_EXIST);
    CHECK_EQ("path_link missing source", __wasi_path_link(dir, 0, "missing", dir, "m2"), __WASI_ERRNO_NOENT);
    CHECK_EQ("path_link a directory", __wasi_path_link(dir, 0, "d1", dir, "d1link"), __WASI_ERRNO_PERM);
    CHECK_EQ("path_rename f2 -> d1/f3", __wasi_path_rename(dir, "f2", dir, "d1/f3"), 0);
    CHECK_EQ("renamed source is gone", __wasi_path_filestat_get(dir, 0, "f2", &st), __WASI_ERRNO_NOENT);
    CHECK_EQ("renamed target exists", __wasi_path_filestat_get(dir, 0, "d1/f3", &st), 0);
    CHECK_EQ("path_rename across dir fds", __wasi_path_rename(d1, "f3", dir, "f4"), 0);
    CHECK_EQ("path_rename missing", __wasi_path_rename(dir, "missing", dir, "x"), __WASI_ERRNO_NOENT);
    CHECK_EQ("path_rename file over dir", __wasi_path_rename(dir, "f4", dir, "d1"), __WASI_ERRNO_ISDIR);
    CHECK_EQ("path_rename dir over file", __wasi_path_rename(dir, "d1/d2", dir, "f4"), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_rename dir into itself", __wasi_path_rename(dir, "d1", dir, "d1/d2/d1"), __WASI_ERRNO_INVAL);
    CHECK_EQ("path_rename file over file", __wasi_path_rename(dir, "f4", dir, "f"), 0);

    /* removal */
    CHECK_EQ("path_remove_directory non-empty", __wasi_path_remove_directory(dir, "d1"), __WASI_ERRNO_NOTEMPTY);
    CHECK_EQ("path_remove_directory a file", __wasi_path_remove_directory(dir, "f"), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_unlink_file a directory", __wasi_path_unlink_file(dir, "d1"), __WASI_ERRNO_ISDIR);
    CHECK_EQ("path_unlink_file f/", __wasi_path_unlink_file(dir, "f/"), __WASI_ERRNO_NOTDIR);
    CHECK_EQ("path_unlink_file lnk", __wasi_path_unlink_file(dir, "lnk"), 0);
    CHECK_EQ("f survives unlinking its symlink", __wasi_path_filestat_get(dir, 0, "f", &st), 0);
    CHECK_EQ("path_unlink_file f", __wasi_path_unlink_file(dir, "f"), 0);
    CHECK_EQ("path_unlink_file f again", __wasi_path_unlink_file(dir, "f"), __WASI_ERRNO_NOENT);
    CHECK_EQ("path_remove_directory d1/d2", __wasi_path_remove_directory(dir, "d1/d2"), 0);
    CHECK_EQ("path_remove_directory d1", __wasi_path_remove_directory(dir, "d1"), 0);
    CHECK_EQ("path_remove_directory missing", __wasi_path_remove_directory(dir, "d1"), __WASI_ERRNO_NOENT);
    __wasi_fd_close(d1);
    CHECK_DONE();
}
