/* The system VM's host services that are not a device backend: clocks and the idle wait. */
#ifndef LODGE_SYSVM_BACKEND_HOST_H
#define LODGE_SYSVM_BACKEND_HOST_H

#include <stdint.h>

uint64_t host_monotonic_ns(void);
uint64_t host_realtime_ns(void);
/* Sleeps until one of fds (n <= 8, -1 entries ignored) is readable or timeout_ns passes, or a signal
 * arrives. Returns 1 if an fd is readable, 0 on timeout or signal. */
int host_wait(const int *fds, unsigned n, uint64_t timeout_ns);
/* The process's resident memory now and at its peak (0 if unknown). */
uint64_t host_rss_bytes(void);
uint64_t host_peak_rss_bytes(void);
/* How many bytes of [p, p+len) are resident in host memory (mincore), for telling guest RAM from Lodge's own. */
uint64_t host_resident_bytes(const void *p, uint64_t len);

#endif
