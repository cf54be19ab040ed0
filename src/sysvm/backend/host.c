/* Host clocks and the idle wait of the run loop. */
#include "sysvm/backend/host.h"

#include <poll.h>
#include <time.h>

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
    struct pollfd p[8];
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < 8; i++)
        if (fds[i] >= 0)
            p[k++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u), .tv_nsec = (long)(timeout_ns % 1000000000u)};
    int r = ppoll(p, k, &ts, NULL);
    return r > 0;
}
