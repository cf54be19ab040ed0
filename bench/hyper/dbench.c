/* dbench.c: guests through a running daemon (docs/api.yaml), one client on one keep-alive connection.
 *   dbench inst SOCK MODULE N [PID...]   N x POST /v1/instances {"module": MODULE, "start": true}: per-request
 *                                        p50/p99, requests/s, and requests per CPU-second of the PIDs given
 *                                        (the daemon and its workers), then checks that every one ran to
 *                                        exit 0 and deletes them (timed too).
 *   dbench mach SOCK KERNEL INITRD N [PID...]  N x POST /v1/machines {"start": true}, then GET .../stats until
 *                                        the guest has retired instructions: create p50/p99, create to first
 *                                        instructions, machines/s; each deleted (?force=true) before the next.
 *   dbench idle SOCK KERNEL INITRD N SECONDS TIMEOUT_S [PID...]
 *                                        N machines (64 MiB) started at once; once each shows its shell prompt
 *                                        (or after TIMEOUT_S), the host CPU their processes (and the PIDs given)
 *                                        use over SECONDS, read from /proc so the measurement wakes nobody.
 *   dbench lat SOCK MODULE N             N x (POST /v1/instances with start, then GET until it stopped): the
 *                                        latency of a fresh instance's whole run, p50/p99/max.
 *   dbench host SOCK N MS               N x GET /v1/host, one every MS ms: p50/p99/max latency (how the daemon
 *                                        answers while something else goes on).
 * One line per figure; exit status 1 when a request fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static const char *sock_path;
static char resp[1 << 20];

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "dbench: %s\n", what);
    exit(1);
}

static void connect_daemon(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(sock_path) >= sizeof a.sun_path)
        die("socket path too long");
    strcpy(a.sun_path, sock_path);
    if (fd >= 0)
        close(fd);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror(sock_path);
        exit(1);
    }
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* One request on the kept-alive connection (reconnecting once if the daemon closed it). Returns the status;
 * the body, NUL-terminated, is in resp. */
static int request(const char *method, const char *path, const char *body)
{
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: lodge\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, blen);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (fd < 0)
            connect_daemon();
        if (write(fd, head, (size_t)hl) != hl || (blen && write(fd, body, blen) != (ssize_t)blen)) {
            close(fd), fd = -1;
            continue;
        }
        size_t got = 0;
        char *end = NULL;
        ssize_t r;
        resp[0] = 0;
        while (!end && (r = read(fd, resp + got, sizeof resp - 1 - got)) > 0) {
            got += (size_t)r;
            resp[got] = 0;
            end = strstr(resp, "\r\n\r\n");
        }
        if (!end) {
            close(fd), fd = -1;
            resp[0] = 0;
            continue;
        }
        int status = atoi(resp + 9);
        char *cl = strcasestr(resp, "Content-Length:");
        size_t want = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
        size_t hdr = (size_t)(end + 4 - resp);
        char *cc = strcasestr(resp, "Connection: close");
        int closing = cc && cc < end;
        if (hdr + want > sizeof resp - 1)
            die("answer too large");
        while (got < hdr + want && (r = read(fd, resp + got, hdr + want - got)) > 0)
            got += (size_t)r;
        memmove(resp, resp + hdr, got - hdr);
        resp[got - hdr] = 0;
        if (closing)
            close(fd), fd = -1;
        return status;
    }
    die("the daemon does not answer");
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    printf("%-40s p50 %8.3f ms   p99 %8.3f ms   max %8.3f ms   (n=%d)\n", what, v[n / 2] / 1e6,
           v[(int)(n * 0.99)] / 1e6, v[n - 1] / 1e6, n);
}

/* CPU seconds (user + system) of the processes given, from /proc/PID/stat. */
static double cpu_of(char **pids, int n)
{
    double s = 0;
    long hz = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < n; i++) {
        char p[64], buf[1024];
        snprintf(p, sizeof p, "/proc/%s/stat", pids[i]);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = 0;
        char *q = strrchr(buf, ')');
        unsigned long ut = 0, st = 0;
        if (q && sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            s += (double)(ut + st) / (double)hz;
    }
    return s;
}

static double self_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_inst(const char *module, int n, char **pids, int npids)
{
    double *lat = calloc((size_t)n, sizeof *lat), *del = calloc((size_t)n, sizeof *del);
    char body[512], path[128];
    if (!lat || !del)
        return 1;
    int tag = (int)(now_ns() / 1e6) % 100000;
    double c0 = cpu_of(pids, npids), s0 = self_cpu(), t0 = now_ns();
    for (int i = 0; i < n; i++) {
        snprintf(body, sizeof body,
                 "{\"id\": \"b%d-%d\", \"module\": \"%s\", \"start\": true, \"max_memory_bytes\": 1048576}", tag, i,
                 module);
        double t = now_ns();
        int st = request("POST", "/v1/instances", body);
        lat[i] = now_ns() - t;
        if (st != 201) {
            fprintf(stderr, "dbench: POST /v1/instances: %d %s\n", st, resp);
            return 1;
        }
    }
    double wall = (now_ns() - t0) / 1e9, cpu = cpu_of(pids, npids) - c0, client = self_cpu() - s0;
    report("POST /v1/instances (create + start)", lat, n);
    printf("%-40s %8.0f requests/s (wall, one client, keep-alive)\n", "fresh instances", n / wall);
    if (npids)
        printf("%-40s %8.0f requests per CPU-second of daemon + workers (%.2f s of CPU for %d; client %.2f s)\n",
               "fresh instances per core", cpu > 0 ? n / cpu : 0, cpu, n, client);
    /* Each must have run: hello writes and exits 0. */
    int done = 0;
    for (int tries = 0; tries < 300 && done < n; tries++) {
        done = 0;
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, "/v1/instances/b%d-%d", tag, i);
            if (request("GET", path, NULL) == 200 && strstr(resp, "\"stopped\"") && strstr(resp, "\"exit_code\":0"))
                done++;
        }
        if (done < n)
            usleep(100000);
    }
    printf("%-40s %d of %d stopped with exit code 0\n", "instances that ran", done, n);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "/v1/instances/b%d-%d?force=true", tag, i);
        double t = now_ns();
        int st = request("DELETE", path, NULL);
        del[i] = now_ns() - t;
        if (st != 204 && st != 200) {
            fprintf(stderr, "dbench: DELETE %s: %d %s\n", path, st, resp);
            return 1;
        }
    }
    report("DELETE /v1/instances/{id}", del, n);
    free(lat);
    free(del);
    return done == n ? 0 : 1;
}

static int bench_mach(const char *kernel, const char *initrd, int n, char **pids, int npids)
{
    double *create = calloc((size_t)n, sizeof *create), *first = calloc((size_t)n, sizeof *first);
    double *del = calloc((size_t)n, sizeof *del);
    char body[2048], path[160];
    if (!create || !first || !del)
        return 1;
    int tag = (int)(now_ns() / 1e6) % 100000;
    double c0 = cpu_of(pids, npids), t0 = now_ns();
    for (int i = 0; i < n; i++) {
        snprintf(body, sizeof body,
                 "{\"id\": \"m%d-%d\", \"kernel\": \"%s\", \"initrd\": \"%s\", \"mem_bytes\": 67108864, \"start\": true}",
                 tag, i, kernel, initrd);
        double t = now_ns();
        int st = request("POST", "/v1/machines", body);
        create[i] = now_ns() - t;
        if (st != 201) {
            fprintf(stderr, "dbench: POST /v1/machines: %d %s\n", st, resp);
            return 1;
        }
        snprintf(path, sizeof path, "/v1/machines/m%d-%d/stats", tag, i);
        for (;;) {
            if (request("GET", path, NULL) != 200)
                die(resp);
            char *p = strstr(resp, "\"instructions\":");
            if (p && strtoull(p + 15, NULL, 10) > 0)
                break;
            if (now_ns() - t > 10e9)
                die("a machine ran no instruction in 10 s");
        }
        first[i] = now_ns() - t;
        /* Gone before the next: a booting Linux would take CPU from the next machine's start. */
        snprintf(path, sizeof path, "/v1/machines/m%d-%d?force=true", tag, i);
        t = now_ns();
        st = request("DELETE", path, NULL);
        del[i] = now_ns() - t;
        if (st != 204 && st != 200) {
            fprintf(stderr, "dbench: DELETE %s: %d %s\n", path, st, resp);
            return 1;
        }
    }
    double wall = (now_ns() - t0) / 1e9, cpu = cpu_of(pids, npids) - c0;
    report("POST /v1/machines (create + start)", create, n);
    report("create to first instructions (stats)", first, n);
    report("DELETE /v1/machines/{id}?force=true", del, n);
    printf("%-40s %8.1f machines/s (one at a time: create, first instructions, delete)\n", "machines through the daemon",
           n / wall);
    if (npids)
        printf("%-40s %8.3f s of daemon CPU for %d machines\n", "daemon CPU", cpu, n);
    free(create);
    free(first);
    free(del);
    return 0;
}

/* The value of a numeric field "name": in resp, or -1. */
static long long field(const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    char *p = strstr(resp, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static int bench_idle(const char *kernel, const char *initrd, int n, int seconds, int timeout_s, char **pids,
                      int npids)
{
    char body[2048], path[160];
    int tag = (int)(now_ns() / 1e6) % 100000, made = 0;
    char *ready = calloc((size_t)n, 1);
    char **mpid = calloc((size_t)n + (size_t)npids, sizeof *mpid);
    if (!ready || !mpid)
        return 1;
    double t0 = now_ns();
    for (; made < n; made++) {
        snprintf(body, sizeof body,
                 "{\"id\": \"i%d-%d\", \"kernel\": \"%s\", \"initrd\": \"%s\", \"mem_bytes\": 67108864, \"start\": true}",
                 tag, made, kernel, initrd);
        int st = request("POST", "/v1/machines", body);
        if (st != 201) {
            printf("create %d refused (%d): %s\n", made, st, resp);
            break;
        }
    }
    int nready = 0;
    while (nready < made && now_ns() - t0 < timeout_s * 1e9) {
        for (int i = 0; i < made; i++) {
            if (ready[i])
                continue;
            snprintf(path, sizeof path, "/v1/machines/i%d-%d/logs?tail=256", tag, i);
            if (request("GET", path, NULL) == 200 && strstr(resp, "/ # ")) {
                ready[i] = 1;
                nready++;
            }
        }
        if (nready < made)
            sleep(1);
    }
    double boot_s = (now_ns() - t0) / 1e9;
    printf("%-40s %d of %d at their prompt after %.1f s\n", "machines booted (64 MiB each)", nready, made, boot_s);
    int np = 0;
    for (int i = 0; i < made; i++) {
        snprintf(path, sizeof path, "/v1/machines/i%d-%d", tag, i);
        if (ready[i] && request("GET", path, NULL) == 200 && field("pid") > 0) {
            mpid[np] = malloc(24);
            snprintf(mpid[np], 24, "%lld", field("pid"));
            np++;
        }
    }
    sleep(2);                                  /* the last prompts' echo and the polls above settle */
    double c0 = cpu_of(mpid, np), d0 = cpu_of(pids, npids), w0 = now_ns();
    sleep((unsigned)seconds);
    double cpu = cpu_of(mpid, np) - c0, dcpu = cpu_of(pids, npids) - d0, wall = (now_ns() - w0) / 1e9;
    printf("%-40s %.3f cores in total over %.1f s (%.2f s of CPU; daemon and workers %.2f s more)\n",
           "idle guests' host CPU", (cpu + dcpu) / wall, wall, cpu, dcpu);
    double rss = 0;
    for (int i = 0; i < np; i++) {
        char p[64], line[256];
        snprintf(p, sizeof p, "/proc/%s/status", mpid[i]);
        FILE *f = fopen(p, "r");
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "VmRSS:", 6) == 0)
                rss += strtod(line + 6, NULL) * 1024;
        if (f)
            fclose(f);
    }
    if (np > 0)
        printf("%-40s %.1f MiB each on average (%.0f MiB for %d)\n", "machine processes' resident memory",
               rss / np / 1048576, rss / 1048576, np);
    if (np > 0) {
        double per = (cpu + dcpu) / wall / np;
        printf("%-40s %.5f cores each (%.2f%% of a core)\n", "per idle guest", per, per * 100);
        if (np < 200)
            printf("%-40s %.3f cores for 200 guests (EXTRAPOLATED from %d measured, not measured)\n",
                   "extrapolation", per * 200, np);
    }
    for (int i = 0; i < made; i++) {
        snprintf(path, sizeof path, "/v1/machines/i%d-%d?force=true", tag, i);
        request("DELETE", path, NULL);
    }
    for (int i = 0; i < np; i++)
        free(mpid[i]);
    free(mpid);
    free(ready);
    return nready > 0 ? 0 : 1;
}

static int bench_lat(const char *module, int n)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    char body[512], path[128];
    if (!lat)
        return 1;
    int tag = (int)(now_ns() / 1e6) % 100000;
    for (int i = 0; i < n; i++) {
        snprintf(body, sizeof body,
                 "{\"id\": \"q%d-%d\", \"module\": \"%s\", \"start\": true, \"max_memory_bytes\": 1048576}", tag, i,
                 module);
        snprintf(path, sizeof path, "/v1/instances/q%d-%d", tag, i);
        double t = now_ns();
        if (request("POST", "/v1/instances", body) != 201)
            die(resp);
        while (request("GET", path, NULL) == 200 && !strstr(resp, "\"stopped\"")) {
            if (now_ns() - t > 30e9)
                die("an instance did not stop within 30 s");
        }
        lat[i] = now_ns() - t;
        snprintf(path, sizeof path, "/v1/instances/q%d-%d?force=true", tag, i);
        request("DELETE", path, NULL);
    }
    report("fresh instance, create to stopped", lat, n);
    free(lat);
    return 0;
}

static int bench_host(int n, int every_ms)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    if (!lat)
        return 1;
    for (int i = 0; i < n; i++) {
        double t = now_ns();
        if (request("GET", "/v1/host", NULL) != 200)
            die(resp);
        lat[i] = now_ns() - t;
        usleep((useconds_t)every_ms * 1000);
    }
    report("GET /v1/host", lat, n);
    free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "inst") == 0) {
        sock_path = argv[2];
        return bench_inst(argv[3], atoi(argv[4]), argv + 5, argc - 5);
    }
    if (argc >= 6 && strcmp(argv[1], "mach") == 0) {
        sock_path = argv[2];
        return bench_mach(argv[3], argv[4], atoi(argv[5]), argv + 6, argc - 6);
    }
    if (argc >= 8 && strcmp(argv[1], "idle") == 0) {
        sock_path = argv[2];
        return bench_idle(argv[3], argv[4], atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), argv + 8, argc - 8);
    }
    if (argc == 5 && strcmp(argv[1], "lat") == 0) {
        sock_path = argv[2];
        return bench_lat(argv[3], atoi(argv[4]));
    }
    if (argc == 5 && strcmp(argv[1], "host") == 0) {
        sock_path = argv[2];
        return bench_host(atoi(argv[3]), atoi(argv[4]));
    }
    fprintf(stderr, "usage: dbench inst SOCK MODULE N [PID...] | mach SOCK KERNEL INITRD N [PID...] |\n"
                    "       idle SOCK KERNEL INITRD N SECONDS TIMEOUT_S [PID...] | lat SOCK MODULE N | host SOCK N MS\n");
    return 2;
}
