/* g_tool.c: a WASI command the embedding tests run through lodge_wasi_*: each mode does one thing a
 * test then checks from the host side (output on the pipes it gave, exit code, files).
 *   hello CODE       print arguments and GREETING on stdout, a line on stderr, probe stdin; exit CODE
 *   probe            write(2) to fds 0, 1 and 2 and report each result on whichever fd works
 *   write DIR        read DIR/data.txt, then try to change it and to create DIR/new.txt
 *   exit CODE        exit(CODE) from inside nested calls
 *   trap             an unreachable instruction */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nested_exit(int depth, int code)
{
    if (depth == 0)
        exit(code);
    return nested_exit(depth - 1, code) + 1;
}

static int hello(int argc, char **argv)
{
    printf("argc %d:", argc);
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    const char *g = getenv("GREETING");
    printf("; GREETING=%s\n", g ? g : "(unset)");
    char c;
    ssize_t r = read(0, &c, 1);
    printf("stdin: %s\n", r < 0 ? strerror(errno) : r == 0 ? "end of file" : "data");
    fprintf(stderr, "a line on stderr\n");
    return argc > 2 ? atoi(argv[2]) : 0;
}

static int probe(void)
{
    int res[3];
    for (int fd = 0; fd < 3; fd++)
        res[fd] = write(fd, "", 0) < 0 ? errno : 0;
    for (int fd = 2; fd >= 0; fd--) {
        char line[128];
        int n = snprintf(line, sizeof line, "fd0 %s, fd1 %s, fd2 %s\n", res[0] ? strerror(res[0]) : "ok",
                         res[1] ? strerror(res[1]) : "ok", res[2] ? strerror(res[2]) : "ok");
        if (write(fd, line, (size_t)n) == n)
            return 0;
    }
    return 9;
}

/* Exit status: bit 0 the read failed, bit 1 the file could be changed, bit 2 a file could be created. */
static int try_write(const char *dir)
{
    char path[512];
    int rc = 0;
    snprintf(path, sizeof path, "%s/data.txt", dir);
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
        rc |= 1;
    if (fd >= 0)
        close(fd);
    printf("read: %s\n", buf);
    /* Opening may succeed with the rights the directory passes on (none to write, as in wasmtime);
     * the write itself is then refused. */
    fd = open(path, O_WRONLY | O_APPEND);
    bool wrote = fd >= 0 && write(fd, "more", 4) == 4;
    if (wrote)
        rc |= 2;
    printf("append: %s\n", wrote ? "done" : strerror(errno));
    if (fd >= 0)
        close(fd);
    snprintf(path, sizeof path, "%s/new.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0)
        rc |= 4;
    printf("create: %s\n", fd < 0 ? strerror(errno) : "done");
    if (fd >= 0)
        close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 100;
    const char *mode = argv[1];
    if (strcmp(mode, "hello") == 0)
        return hello(argc, argv);
    if (strcmp(mode, "probe") == 0)
        return probe();
    if (strcmp(mode, "write") == 0 && argc > 2)
        return try_write(argv[2]);
    if (strcmp(mode, "exit") == 0 && argc > 2)
        return nested_exit(20, atoi(argv[2]));
    if (strcmp(mode, "trap") == 0)
        __builtin_trap();
    return 101;
}
