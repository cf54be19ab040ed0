/* files.c: create, write, stat, read back and delete 300 small files in the current directory
 * (a preopen under a WASI runtime): path resolution and per-call overhead. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    char name[32], buf[64];
    long total = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "f%03d.txt", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            return 1;
        int len = snprintf(buf, sizeof buf, "file number %d\n", i);
        if (write(fd, buf, (size_t)len) != len)
            return 1;
        close(fd);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "f%03d.txt", i);
        struct stat st;
        if (stat(name, &st) < 0)
            return 1;
        int fd = open(name, O_RDONLY);
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        total += n + (long)st.st_size;
        unlink(name);
    }
    printf("%ld bytes\n", total);
    return 0;
}
