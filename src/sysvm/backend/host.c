/* Host clocks and the idle wait of the run loop. */
#include "sysvm/backend/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t host_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t host_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int host_wait(const int *fds, unsigned n, uint64_t timeout_ns)
{
    struct pollfd p[16];
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < 16; i++)
        if (fds[i] >= 0)
            p[k++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u), .tv_nsec = (long)(timeout_ns % 1000000000u)};
    int r = ppoll(p, k, &ts, NULL);
    return r > 0;
}

uint64_t host_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t host_peak_rss_bytes(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024 : 0;
}

uint64_t host_resident_bytes(const void *p, uint64_t len)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)(page - 1);
    uint64_t span = ((uintptr_t)p + len - start + page - 1) / page;
    uint64_t total = 0;
    unsigned char vec[4096];
    for (uint64_t i = 0; i < span; i += sizeof vec) {
        uint64_t n = span - i < sizeof vec ? span - i : sizeof vec;
        if (mincore((void *)(start + i * page), n * page, vec) != 0)
            return 0;
        for (uint64_t k = 0; k < n; k++)
            total += vec[k] & 1;
    }
    return total * page;
}

int host_open_file(const char *path, const char *what, uint64_t *len, VmError *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vmerr_setk(err, VMERR_IO, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        vmerr_setk(err, VMERR_IO, "%s %s: not a regular file", what, path);
        close(fd);
        return -1;
    }
    *len = (uint64_t)st.st_size;
    return fd;
}
