/* w_fd.c: every fd_* function on a file and a directory inside the preopen "sandbox", with their
 * error paths (BADF, NOTCAPABLE, INVAL, FAULT, NAMETOOLONG, NOTDIR). */
#include "check.h"

/* Ask only for rights the directory can pass on, as wasi-libc does. */
static __wasi_fd_t open_file(int dir, const char *path, __wasi_oflags_t of, __wasi_rights_t rights, int *err)
{
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_fdstat_t ds;
    __wasi_fd_fdstat_get(dir, &ds);
    *err = __wasi_path_open(dir, 0, path, of, rights & ds.fs_rights_inheriting, ds.fs_rights_inheriting, 0, &fd);
    return fd;
}

int main(void)
{
    int dir = find_preopen("sandbox");
    CHECK("preopen sandbox found", dir >= 3);
    if (dir < 0)
        CHECK_DONE();

    /* prestat */
    __wasi_prestat_t ps;
    CHECK_EQ("fd_prestat_get(dir)", __wasi_fd_prestat_get(dir, &ps), 0);
    CHECK_EQ("prestat tag", ps.tag, __WASI_PREOPENTYPE_DIR);
    CHECK_EQ("prestat name len", ps.u.dir.pr_name_len, 7);
    char name[16] = {0};
    CHECK_EQ("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(dir, (uint8_t *)name, 7), 0);
    CHECK("prestat name", memcmp(name, "sandbox", 7) == 0);
    CHECK_EQ("fd_prestat_dir_name short buffer", __wasi_fd_prestat_dir_name(dir, (uint8_t *)name, 3),
             __WASI_ERRNO_NAMETOOLONG);
    CHECK_EQ("fd_prestat_get(stdout)", __wasi_fd_prestat_get(1, &ps), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_prestat_get(999)", __wasi_fd_prestat_get(999, &ps), __WASI_ERRNO_BADF);
    CHECK_FAULT("fd_prestat_get bad pointer", __wasi_fd_prestat_get(dir, BADPTR));

    /* create, write, tell, seek, read */
    int e;
    __wasi_fd_t f = open_file(dir, "f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, ALL_RIGHTS, &e);
    CHECK_EQ("path_open create f.txt", e, 0);
    const char *msg = "hello world";
    __wasi_ciovec_t ciov[2] = {{(const uint8_t *)msg, 6}, {(const uint8_t *)msg + 6, 5}};
    __wasi_size_t n = 0;
    CHECK_EQ("fd_write two iovecs", __wasi_fd_write(f, ciov, 2, &n), 0);
    CHECK_EQ("fd_write count", n, 11);
    __wasi_filesize_t pos = 0;
    CHECK_EQ("fd_tell", __wasi_fd_tell(f, &pos), 0);
    CHECK_EQ("fd_tell position", pos, 11);
    CHECK_EQ("fd_seek set 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos), 0);
    CHECK_EQ("fd_seek result", pos, 0);
    char buf[64] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, 5};
    CHECK_EQ("fd_read", __wasi_fd_read(f, &iov, 1, &n), 0);
    CHECK("fd_read data", n == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK_EQ("fd_seek cur +1", __wasi_fd_seek(f, 1, __WASI_WHENCE_CUR, &pos), 0);
    CHECK_EQ("fd_seek cur result", pos, 6);
    CHECK_EQ("fd_seek end -5", __wasi_fd_seek(f, -5, __WASI_WHENCE_END, &pos), 0);
    CHECK_EQ("fd_seek end result", pos, 6);
    CHECK_EQ("fd_seek bad whence", __wasi_fd_seek(f, 0, 7, &pos), __WASI_ERRNO_INVAL);
    CHECK_EQ("fd_seek before start", __wasi_fd_seek(f, -100, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_INVAL);
    CHECK_EQ("fd_read at EOF", (__wasi_fd_seek(f, 0, __WASI_WHENCE_END, &pos), __wasi_fd_read(f, &iov, 1, &n)), 0);
    CHECK_EQ("fd_read at EOF count", n, 0);

    /* positioned I/O */
    memset(buf, 0, sizeof buf);
    CHECK_EQ("fd_pread offset 6", __wasi_fd_pread(f, &iov, 1, 6, &n), 0);
    CHECK("fd_pread data", n == 5 && memcmp(buf, "world", 5) == 0);
    __wasi_ciovec_t up = {(const uint8_t *)"HELLO", 5};
    CHECK_EQ("fd_pwrite offset 0", __wasi_fd_pwrite(f, &up, 1, 0, &n), 0);
    CHECK_EQ("fd_pwrite count", n, 5);
    CHECK_EQ("fd_tell unchanged by pwrite", (__wasi_fd_tell(f, &pos), pos), 11);
    memset(buf, 0, sizeof buf);
    iov.buf_len = 11;
    CHECK_EQ("fd_pread whole", __wasi_fd_pread(f, &iov, 1, 0, &n), 0);
    CHECK("fd_pread sees pwrite", n == 11 && memcmp(buf, "HELLO world", 11) == 0);

    /* status */
    __wasi_filestat_t st;
    CHECK_EQ("fd_filestat_get", __wasi_fd_filestat_get(f, &st), 0);
    CHECK_EQ("filestat filetype", st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    CHECK_EQ("filestat size", st.size, 11);
    CHECK_EQ("filestat nlink", st.nlink, 1);
    CHECK_EQ("fd_filestat_set_size 5", __wasi_fd_filestat_set_size(f, 5), 0);
    CHECK_EQ("size after set_size", (__wasi_fd_filestat_get(f, &st), st.size), 5);
    CHECK_EQ("fd_filestat_set_times", __wasi_fd_filestat_set_times(f, 1000000000ull * 1000, 1000000000ull * 2000,
                                                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
    __wasi_fd_filestat_get(f, &st);
    CHECK_EQ("atim set", st.atim, 1000000000ull * 1000);
    CHECK_EQ("mtim set", st.mtim, 1000000000ull * 2000);
    CHECK_EQ("fd_filestat_set_times ATIM|ATIM_NOW",
             __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
             __WASI_ERRNO_INVAL);
    CHECK_EQ("fd_filestat_set_times MTIM_NOW", __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
    __wasi_fd_filestat_get(f, &st);
    CHECK("mtim now is recent", st.mtim > 1000000000ull * 1600000000ull);
    CHECK_FAULT("fd_filestat_get bad pointer", __wasi_fd_filestat_get(f, BADPTR));
    CHECK_EQ("fd_advise", __wasi_fd_advise(f, 0, 5, __WASI_ADVICE_SEQUENTIAL), 0);
    CHECK_EQ("fd_advise bad advice", __wasi_fd_advise(f, 0, 5, 9), __WASI_ERRNO_INVAL);
    CHECK_EQ("fd_allocate", __wasi_fd_allocate(f, 0, 100), 0);
    CHECK_EQ("size after allocate", (__wasi_fd_filestat_get(f, &st), st.size), 100);
    CHECK_EQ("fd_datasync", __wasi_fd_datasync(f), 0);
    CHECK_EQ("fd_sync", __wasi_fd_sync(f), 0);

    /* fdstat, flags, rights */
    __wasi_fdstat_t fs;
    CHECK_EQ("fd_fdstat_get", __wasi_fd_fdstat_get(f, &fs), 0);
    CHECK_EQ("fdstat filetype", fs.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
    CHECK_EQ("fdstat flags", fs.fs_flags, 0);
    CHECK("fdstat has read+write", (fs.fs_rights_base & __WASI_RIGHTS_FD_READ) && (fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
    CHECK_EQ("fd_fdstat_set_flags APPEND", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND), 0);
    CHECK_EQ("fdstat shows APPEND", (__wasi_fd_fdstat_get(f, &fs), fs.fs_flags), __WASI_FDFLAGS_APPEND);
    __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos);
    __wasi_ciovec_t tail = {(const uint8_t *)"!", 1};
    __wasi_fd_write(f, &tail, 1, &n);
    CHECK_EQ("append writes at end", (__wasi_fd_filestat_get(f, &st), st.size), 101);
    CHECK_FAULT("fd_fdstat_get bad pointer", __wasi_fd_fdstat_get(f, BADPTR));
    CHECK_EQ("fd_fdstat_set_rights drop read",
             __wasi_fd_fdstat_set_rights(f, fs.fs_rights_base & ~__WASI_RIGHTS_FD_READ, fs.fs_rights_inheriting), 0);
    CHECK_EQ("fd_read without right", __wasi_fd_read(f, &iov, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_EQ("fd_pread without right", __wasi_fd_pread(f, &iov, 1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_EQ("fd_fdstat_set_rights cannot add back",
             __wasi_fd_fdstat_set_rights(f, fs.fs_rights_base, fs.fs_rights_inheriting), __WASI_ERRNO_NOTCAPABLE);
    CHECK_EQ("fd_write still allowed", __wasi_fd_write(f, &tail, 1, &n), 0);

    /* bad pointers in iovecs */
    CHECK_FAULT("fd_write iovec array out of bounds", __wasi_fd_write(f, BADPTR, 1, &n));
    __wasi_ciovec_t bad = {BADPTR, 8};
    CHECK_FAULT("fd_write buffer out of bounds", __wasi_fd_write(f, &bad, 1, &n));
    CHECK_FAULT("fd_write result out of bounds", __wasi_fd_write(f, &tail, 1, BADPTR));

    /* renumber and close */
    __wasi_fd_t g = open_file(dir, "f.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, &e);
    CHECK_EQ("path_open f.txt read-only", e, 0);
    CHECK_EQ("fd_renumber to closed fd", __wasi_fd_renumber(g, 200), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_renumber g onto f", __wasi_fd_renumber(g, f), 0);
    CHECK_EQ("old number is closed", __wasi_fd_close(g), __WASI_ERRNO_BADF);
    memset(buf, 0, sizeof buf);
    iov.buf_len = 5;
    CHECK_EQ("renumbered fd reads", (__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos), __wasi_fd_read(f, &iov, 1, &n)), 0);
    CHECK("renumbered fd data", memcmp(buf, "HELLO", 5) == 0);
    CHECK_EQ("renumbered fd has no write right", __wasi_fd_write(f, &tail, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_EQ("fd_close", __wasi_fd_close(f), 0);
    CHECK_EQ("fd_close again", __wasi_fd_close(f), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_read closed", __wasi_fd_read(f, &iov, 1, &n), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_write closed", __wasi_fd_write(f, &tail, 1, &n), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_seek closed", __wasi_fd_seek(f, 0, 0, &pos), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_sync closed", __wasi_fd_sync(f), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_filestat_get closed", __wasi_fd_filestat_get(f, &st), __WASI_ERRNO_BADF);

    /* the directory: no data rights, readdir */
    CHECK_EQ("fd_write on a directory", __wasi_fd_write(dir, &tail, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_EQ("fd_fdstat_get dir", __wasi_fd_fdstat_get(dir, &fs), 0);
    CHECK_EQ("dir filetype", fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
    CHECK_EQ("path_create_directory d", __wasi_path_create_directory(dir, "d"), 0);
    const char *names[3] = {"d/a", "d/bb", "d/ccc"};
    for (int i = 0; i < 3; i++) {
        __wasi_fd_t h = open_file(dir, names[i], __WASI_OFLAGS_CREAT, ALL_RIGHTS, &e);
        __wasi_fd_close(h);
    }
    __wasi_fd_t d = open_file(dir, "d", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~(__WASI_RIGHTS_FD_WRITE |
                              __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_DATASYNC), &e);
    CHECK_EQ("path_open d as directory", e, 0);
    static uint8_t dbuf[4096];
    __wasi_size_t used = 0;
    CHECK_EQ("fd_readdir", __wasi_fd_readdir(d, dbuf, sizeof dbuf, 0, &used), 0);
    int seen = 0, entries = 0;
    __wasi_dircookie_t cookies[16];
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used && entries < 16;) {
        __wasi_dirent_t de;
        memcpy(&de, dbuf + off, sizeof de);
        const char *nm = (const char *)dbuf + off + sizeof de;
        cookies[entries++] = de.d_next;
        if (de.d_namlen == 1 && nm[0] == 'a' && de.d_type == __WASI_FILETYPE_REGULAR_FILE)
            seen |= 1;
        if (de.d_namlen == 2 && memcmp(nm, "bb", 2) == 0)
            seen |= 2;
        if (de.d_namlen == 3 && memcmp(nm, "ccc", 3) == 0)
            seen |= 4;
        off += sizeof de + de.d_namlen;
    }
    CHECK_EQ("fd_readdir finds a, bb, ccc", seen, 7);
    CHECK("fd_readdir entries (3, or 5 with . and ..)", entries == 3 || entries == 5);
    /* Resume from the second entry's cookie: one fewer entry. */
    __wasi_size_t used2 = 0;
    CHECK_EQ("fd_readdir from cookie", __wasi_fd_readdir(d, dbuf, sizeof dbuf, cookies[0], &used2), 0);
    int entries2 = 0;
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used2;) {
        __wasi_dirent_t de;
        memcpy(&de, dbuf + off, sizeof de);
        entries2++;
        off += sizeof de + de.d_namlen;
    }
    CHECK("fd_readdir from cookie: one fewer entry", entries2 == entries - 1);
    CHECK_EQ("fd_readdir small buffer", __wasi_fd_readdir(d, dbuf, 30, 0, &used), 0);
    CHECK_EQ("fd_readdir small buffer is filled", used, 30);
    CHECK_EQ("fd_readdir at end", __wasi_fd_readdir(d, dbuf, sizeof dbuf, cookies[entries - 1], &used), 0);
    CHECK_EQ("fd_readdir at end is empty", used, 0);
    CHECK_FAULT("fd_readdir bad buffer", __wasi_fd_readdir(d, BADPTR, 64, 0, &used));
    __wasi_fd_t a = open_file(dir, "d/a", 0, ALL_RIGHTS, &e);
    CHECK_EQ("fd_readdir on a file", __wasi_fd_readdir(a, dbuf, sizeof dbuf, 0, &used), __WASI_ERRNO_NOTCAPABLE);
    __wasi_fd_close(a);
    __wasi_fd_close(d);

    /* stdio */
    CHECK_EQ("fd_fdstat_get stdin", __wasi_fd_fdstat_get(0, &fs), 0);
    CHECK("stdin can read", fs.fs_rights_base & __WASI_RIGHTS_FD_READ);
    CHECK_EQ("fd_fdstat_get 1000", __wasi_fd_fdstat_get(1000, &fs), __WASI_ERRNO_BADF);
    CHECK_EQ("fd_fdstat_get -1", __wasi_fd_fdstat_get(-1, &fs), __WASI_ERRNO_BADF);
    CHECK_DONE();
}
