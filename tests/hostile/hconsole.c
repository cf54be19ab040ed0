/* hconsole.c: a machine's serial console through the daemon (GET /v1/machines/{id}/console, upgraded to raw
 * bytes), for the hostile-guest suite and the neighbours benchmark.
 *   hconsole SOCK ID expect CMD STRING TIMEOUT_S   types CMD and a newline; exit 0 once STRING is read back
 *   hconsole SOCK ID echo N                        types one character N times, each once the last came back
 *                                                  (the guest's terminal echoes it): p50/p99/max latency
 * Exit status: 0 done, 1 not (a message says why), 2 usage. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int attach(const char *sock, const char *id)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof a.sun_path || strlen(id) > 64)
        return -1;
    strcpy(a.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror(sock);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET /v1/machines/%s/console HTTP/1.1\r\nHost: lodge\r\nConnection: Upgrade\r\n"
                     "Upgrade: lodge-console\r\n\r\n", id);
    if (write(fd, req, (size_t)n) != n)
        return -1;
    /* Read the answer's head byte by byte: what follows it is already console output. */
    char head[4096];
    size_t k = 0;
    double deadline = now_ms() + 10000;
    while (k < sizeof head - 1 && now_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        if (read(fd, head + k, 1) != 1)
            break;
        head[++k] = 0;
        if (k >= 4 && memcmp(head + k - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    if (k < 12 || strncmp(head + 9, "101", 3) != 0) {
        fprintf(stderr, "hconsole: no upgrade: %.200s\n", head);
        return -1;
    }
    return fd;
}

/* Reads until `want` has been seen or the deadline passes. */
static int wait_for(int fd, const char *want, double deadline)
{
    static char win[8192];
    static size_t len;
    size_t wl = strlen(want);
    len = 0;
    while (now_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(deadline - now_ms());
        if (poll(&p, 1, left > 0 ? left : 0) <= 0)
            continue;
        char buf[1024];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            return 0;
        for (ssize_t i = 0; i < r; i++) {
            if (len == sizeof win - 1) {
                memmove(win, win + sizeof win / 2, sizeof win / 2);
                len -= sizeof win / 2;
            }
            win[len++] = buf[i];
        }
        win[len] = 0;
        if (len >= wl && memmem(win, len, want, wl))
            return 1;
    }
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[3], "expect") == 0) {
        int fd = attach(argv[1], argv[2]);
        if (fd < 0)
            return 1;
        char line[1024];
        int n = snprintf(line, sizeof line, "%s\n", argv[4]);
        if (n >= (int)sizeof line || write(fd, line, (size_t)n) != n)
            return 1;
        if (!wait_for(fd, argv[5], now_ms() + atoi(argv[6]) * 1000.0)) {
            fprintf(stderr, "hconsole: '%s' not seen within %s s\n", argv[5], argv[6]);
            return 1;
        }
        return 0;
    }
    if (argc == 5 && strcmp(argv[3], "echo") == 0) {
        int n = atoi(argv[4]), fd = attach(argv[1], argv[2]);
        if (fd < 0 || n < 1)
            return 1;
        double *lat = calloc((size_t)n, sizeof *lat);
        if (!lat || write(fd, "\025", 1) != 1)        /* Ctrl-U: an empty line to start from */
            return 1;
        usleep(200000);
        for (int i = 0; i < n; i++) {
            char c = (char)('a' + i % 26);
            if (i % 40 == 39 && write(fd, "\025", 1) != 1)   /* keep the line short */
                return 1;
            char want[2] = {c, 0};
            double t = now_ms();
            if (write(fd, &c, 1) != 1 || !wait_for(fd, want, t + 5000)) {
                fprintf(stderr, "hconsole: character %d not echoed within 5 s\n", i);
                return 1;
            }
            lat[i] = now_ms() - t;
        }
        if (write(fd, "\025", 1) != 1)
            return 1;
        qsort(lat, (size_t)n, sizeof *lat, cmp_d);
        printf("console echo  p50 %.3f ms  p99 %.3f ms  max %.3f ms  (n=%d)\n", lat[n / 2], lat[(int)(n * 0.99)],
               lat[n - 1], n);
        return 0;
    }
    fprintf(stderr, "usage: hconsole SOCK ID expect CMD STRING TIMEOUT_S | hconsole SOCK ID echo N\n");
    return 2;
}
