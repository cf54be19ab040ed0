/* w_sandbox.c: attempts to leave the preopen "sandbox", all of which must fail with NOTCAPABLE:
 * `..`, absolute paths, symlinks that lead outside at any depth (made by the guest itself), and every
 * path_* operation through them. Positive controls show that the same paths inside do work.
 * argv[1] is the host's absolute path of a secret file outside the sandbox. */
#include "check.h"

static int dir;
static __wasi_rights_t inh;
static int leaks;

/* Open and read; a file whose text is SECRET came from outside. */
static int try_open(const char *path, __wasi_lookupflags_t lf, char *out, size_t cap)
{
    __wasi_fd_t fd;
    int e = __wasi_path_open(dir, lf, path, 0, inh & ~(__WASI_RIGHTS_FD_WRITE), inh, 0, &fd);
    if (e)
        return e;
    __wasi_iovec_t io = {(uint8_t *)out, cap - 1};
    __wasi_size_t n = 0;
    __wasi_fd_read(fd, &io, 1, &n);
    out[n] = '\0';
    if (strstr(out, "SECRET")) {
        leaks++;
        printf("LEAK through %s\n", path);
    }
    __wasi_fd_close(fd);
    return 0;
}

#define ESCAPE(name, expr) CHECK_EQ(name, expr, __WASI_ERRNO_NOTCAPABLE)

int main(int argc, char **argv)
{
    dir = find_preopen("sandbox");
    CHECK("preopen sandbox found", dir >= 3);
    if (dir < 0 || argc < 2)
        CHECK_DONE();
    __wasi_fdstat_t ds;
    __wasi_fd_fdstat_get(dir, &ds);
    inh = ds.fs_rights_inheriting;
    const __wasi_lookupflags_t F = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    char buf[256];

    /* The guest builds its own escape routes. */
    __wasi_fd_t fd;
    __wasi_path_create_directory(dir, "sub");
    __wasi_path_create_directory(dir, "sub/deeper");
    __wasi_path_open(dir, 0, "in.txt", __WASI_OFLAGS_CREAT, inh, inh, 0, &fd);
    __wasi_ciovec_t io = {(const uint8_t *)"inside", 6};
    __wasi_size_t n;
    __wasi_fd_write(fd, &io, 1, &n);
    __wasi_fd_close(fd);
    CHECK_EQ("symlink abs -> /etc", __wasi_path_symlink("/etc", dir, "abs"), 0);
    CHECK_EQ("symlink abs_secret -> host path", __wasi_path_symlink(argv[1], dir, "abs_secret"), 0);
    CHECK_EQ("symlink up -> ..", __wasi_path_symlink("..", dir, "up"), 0);
    CHECK_EQ("symlink sub/up2 -> ../../outside", __wasi_path_symlink("../../outside", dir, "sub/up2"), 0);
    CHECK_EQ("symlink chain1 -> sub/chain2", __wasi_path_symlink("sub/chain2", dir, "chain1"), 0);
    CHECK_EQ("symlink sub/chain2 -> ../chain3", __wasi_path_symlink("../chain3", dir, "sub/chain2"), 0);
    CHECK_EQ("symlink chain3 -> sub/deeper/chain4", __wasi_path_symlink("sub/deeper/chain4", dir, "chain3"), 0);
    CHECK_EQ("symlink sub/deeper/chain4 -> ../../../outside/secret.txt",
             __wasi_path_symlink("../../../outside/secret.txt", dir, "sub/deeper/chain4"), 0);
    CHECK_EQ("symlink deep -> sub/deeper/../../..", __wasi_path_symlink("sub/deeper/../../..", dir, "deep"), 0);
    CHECK_EQ("symlink good -> in.txt", __wasi_path_symlink("in.txt", dir, "good"), 0);
    CHECK_EQ("symlink inner -> sub", __wasi_path_symlink("sub", dir, "inner"), 0);
    CHECK_EQ("symlink good_chain -> inner/../good", __wasi_path_symlink("inner/../good", dir, "good_chain"), 0);

    /* Positive controls: the same mechanisms, staying inside. */
    CHECK_EQ("open in.txt", try_open("in.txt", 0, buf, sizeof buf), 0);
    CHECK_EQ("open good (symlink inside)", try_open("good", F, buf, sizeof buf), 0);
    CHECK_EQ("open good_chain (chain inside)", try_open("good_chain", F, buf, sizeof buf), 0);
    CHECK("good_chain reads inside", strcmp(buf, "inside") == 0);
    CHECK_EQ("open inner/../in.txt", try_open("inner/../in.txt", F, buf, sizeof buf), 0);
    CHECK_EQ("open sub/deeper/../../in.txt", try_open("sub/deeper/../../in.txt", F, buf, sizeof buf), 0);
    CHECK_EQ("open ./sub/./../in.txt", try_open("./sub/./../in.txt", F, buf, sizeof buf), 0);

    /* Opening things outside. */
    ESCAPE("open ..", try_open("..", F, buf, sizeof buf));
    ESCAPE("open ../outside/secret.txt", try_open("../outside/secret.txt", F, buf, sizeof buf));
    ESCAPE("open sub/../../outside/secret.txt", try_open("sub/../../outside/secret.txt", F, buf, sizeof buf));
    ESCAPE("open sub/./deeper/./../../../outside/secret.txt",
           try_open("sub/./deeper/./../../../outside/secret.txt", F, buf, sizeof buf));
    ESCAPE("open /etc/passwd", try_open("/etc/passwd", F, buf, sizeof buf));
    ESCAPE("open host path of the secret", try_open(argv[1], F, buf, sizeof buf));
    ESCAPE("open abs/passwd", try_open("abs/passwd", F, buf, sizeof buf));
    ESCAPE("open abs_secret", try_open("abs_secret", F, buf, sizeof buf));
    ESCAPE("open up/outside/secret.txt", try_open("up/outside/secret.txt", F, buf, sizeof buf));
    ESCAPE("open sub/up2/secret.txt", try_open("sub/up2/secret.txt", F, buf, sizeof buf));
    ESCAPE("open chain1 (4 links deep)", try_open("chain1", F, buf, sizeof buf));
    ESCAPE("open deep/outside/secret.txt", try_open("deep/outside/secret.txt", F, buf, sizeof buf));
    ESCAPE("open up/ (trailing slash)", try_open("up/", 0, buf, sizeof buf));
    ESCAPE("open sub/up2 as directory",
           __wasi_path_open(dir, F, "sub/up2", __WASI_OFLAGS_DIRECTORY, inh & ~__WASI_RIGHTS_FD_WRITE, inh, 0, &fd));
    /* Relative to an opened subdirectory, its parent is outside too. */
    __wasi_fd_t sub;
    __wasi_path_open(dir, 0, "sub", __WASI_OFLAGS_DIRECTORY, inh & ~__WASI_RIGHTS_FD_WRITE, inh, 0, &sub);
    ESCAPE("open ../in.txt from sub",
           __wasi_path_open(sub, 0, "../in.txt", 0, inh & ~__WASI_RIGHTS_FD_WRITE, inh, 0, &fd));
    __wasi_fd_close(sub);

    /* Every other path operation through the same routes. */
    __wasi_filestat_t st;
    ESCAPE("path_filestat_get ../outside", __wasi_path_filestat_get(dir, 0, "../outside", &st));
    ESCAPE("path_filestat_get follow abs", __wasi_path_filestat_get(dir, F, "abs", &st));
    CHECK_EQ("path_filestat_get nofollow abs (the link itself)", __wasi_path_filestat_get(dir, 0, "abs", &st), 0);
    ESCAPE("path_filestat_get follow chain1", __wasi_path_filestat_get(dir, F, "chain1", &st));
    ESCAPE("path_filestat_get up/outside", __wasi_path_filestat_get(dir, 0, "up/outside", &st));
    ESCAPE("path_filestat_set_times follow chain1",
           __wasi_path_filestat_set_times(dir, F, "chain1", 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    ESCAPE("path_filestat_set_times ../outside/secret.txt",
           __wasi_path_filestat_set_times(dir, 0, "../outside/secret.txt", 1, 1, __WASI_FSTFLAGS_MTIM));
    ESCAPE("path_create_directory ../newdir", __wasi_path_create_directory(dir, "../newdir"));
    ESCAPE("path_create_directory up/newdir", __wasi_path_create_directory(dir, "up/newdir"));
    ESCAPE("path_create_directory sub/up2/newdir", __wasi_path_create_directory(dir, "sub/up2/newdir"));
    ESCAPE("path_unlink_file ../outside/secret.txt", __wasi_path_unlink_file(dir, "../outside/secret.txt"));
    ESCAPE("path_unlink_file up/outside/secret.txt", __wasi_path_unlink_file(dir, "up/outside/secret.txt"));
    ESCAPE("path_remove_directory up/outside/a", __wasi_path_remove_directory(dir, "up/outside/a"));
    ESCAPE("path_remove_directory ..", __wasi_path_remove_directory(dir, ".."));
    ESCAPE("path_rename in.txt -> ../stolen.txt", __wasi_path_rename(dir, "in.txt", dir, "../stolen.txt"));
    ESCAPE("path_rename in.txt -> up/stolen.txt", __wasi_path_rename(dir, "in.txt", dir, "up/stolen.txt"));
    ESCAPE("path_rename ../outside/secret.txt -> here",
           __wasi_path_rename(dir, "../outside/secret.txt", dir, "here.txt"));
    ESCAPE("path_link ../outside/secret.txt -> stolen", __wasi_path_link(dir, 0, "../outside/secret.txt", dir, "stolen"));
    ESCAPE("path_link follow chain1 -> stolen", __wasi_path_link(dir, F, "chain1", dir, "stolen"));
    ESCAPE("path_link in.txt -> ../planted", __wasi_path_link(dir, 0, "in.txt", dir, "../planted"));
    ESCAPE("path_symlink named ../evil", __wasi_path_symlink("in.txt", dir, "../evil"));
    ESCAPE("path_readlink up/x", __wasi_path_readlink(dir, "up/x", (uint8_t *)buf, sizeof buf, &n));
    CHECK_EQ("path_readlink abs (text only)", __wasi_path_readlink(dir, "abs", (uint8_t *)buf, sizeof buf, &n), 0);
    CHECK("path_readlink abs says /etc", n == 4 && memcmp(buf, "/etc", 4) == 0);
    ESCAPE("path_open CREAT through up", __wasi_path_open(dir, F, "up/planted", __WASI_OFLAGS_CREAT, inh, inh, 0, &fd));
    ESCAPE("path_open CREAT at dangling link leading out",
           (__wasi_path_symlink("../planted2", dir, "dangling"),
            __wasi_path_open(dir, F, "dangling", __WASI_OFLAGS_CREAT, inh, inh, 0, &fd)));
    CHECK_EQ("nothing leaked", leaks, 0);
    CHECK_DONE();
}
