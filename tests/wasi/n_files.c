/* n_files.c: ordinary POSIX file handling in the current directory (a preopen under Lodge):
 * create, write, seek, read, stat, rename, link, symlink, readlink, list, remove, and the errno of
 * common mistakes. Built both as WASI bytecode and natively: the outputs must match. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ELOOP: return "ELOOP";
    default: return "other";
    }
}

#define TRY(what, expr)                                                                                   \
    do {                                                                                                  \
        errno = 0;                                                                                        \
        int r_ = (expr);                                                                                  \
        printf("%-28s -> %s\n", what, r_ < 0 ? ename(errno) : "ok");                                      \
    } while (0)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, ename(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(void)
{
    TRY("mkdir work", mkdir("work", 0755));
    TRY("mkdir work again", mkdir("work", 0755));
    FILE *f = fopen("work/a.txt", "w");
    printf("fopen w: %s\n", f ? "ok" : ename(errno));
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("work/a.txt", "r+");
    fseek(f, 0, SEEK_END);
    printf("size by ftell %ld\n", ftell(f));
    fseek(f, 7, SEEK_SET);
    char buf[32] = {0};
    fgets(buf, sizeof buf, f);
    printf("line at 7: %s", buf);
    fseek(f, 0, SEEK_SET);
    fputs("LINE", f);
    fclose(f);
    struct stat st;
    TRY("stat a.txt", stat("work/a.txt", &st));
    printf("a.txt size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    TRY("rename a -> b", rename("work/a.txt", "work/b.txt"));
    TRY("stat a.txt after rename", stat("work/a.txt", &st));
    TRY("link b -> c", link("work/b.txt", "work/c.txt"));
    stat("work/b.txt", &st);
    printf("b.txt nlink %lu\n", (unsigned long)st.st_nlink);
    TRY("symlink s -> b.txt", symlink("b.txt", "work/s"));
    char lb[64] = {0};
    ssize_t ln = readlink("work/s", lb, sizeof lb - 1);
    printf("readlink s: %zd %s\n", ln, ln > 0 ? lb : "");
    TRY("lstat s", lstat("work/s", &st));
    printf("s is link %d\n", S_ISLNK(st.st_mode));
    f = fopen("work/s", "r");
    fgets(buf, sizeof buf, f);
    printf("through symlink: %s", buf);
    fclose(f);
    TRY("mkdir work/sub", mkdir("work/sub", 0755));
    list("work");
    int fd = open("work/sub", O_RDONLY | O_DIRECTORY);
    printf("open dir: %s\n", fd >= 0 ? "ok" : ename(errno));
    if (fd >= 0)
        close(fd);
    TRY("open missing", open("work/missing", O_RDONLY));
    TRY("open O_EXCL existing", open("work/b.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    TRY("open file as dir", open("work/b.txt", O_RDONLY | O_DIRECTORY));
    TRY("mkdir under a file", mkdir("work/b.txt/x", 0755));
    TRY("rmdir non-empty", rmdir("work"));
    TRY("unlink a dir", unlink("work/sub"));
    TRY("rmdir a file", rmdir("work/b.txt"));
    TRY("read from bad fd", (int)read(1234, buf, 1));
    TRY("unlink s", unlink("work/s"));
    TRY("unlink b", unlink("work/b.txt"));
    TRY("unlink c", unlink("work/c.txt"));
    TRY("rmdir sub", rmdir("work/sub"));
    list("work");
    TRY("rmdir work", rmdir("work"));
    return 0;
}
