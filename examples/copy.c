/* copy.c: copy SRC to DST with open/read/write, as `cp` does; run it with the directory preopened:
 * `lodge run --dir DIR::. copy.wasm SRC DST` (SRC and DST relative to DIR). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: copy SRC DST\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    if (in < 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
        close(in);
        return 1;
    }
    char buf[65536];
    long long total = 0;
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
                return 1;
            }
            off += w;
        }
        total += n;
    }
    if (n < 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (close(out) < 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    close(in);
    printf("copied %lld bytes from %s to %s\n", total, argv[1], argv[2]);
    return 0;
}
