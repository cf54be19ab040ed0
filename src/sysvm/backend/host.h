/* The system VM's host services that are not a device backend: clocks and the idle wait. */
#ifndef LODGE_SYSVM_BACKEND_HOST_H
#define LODGE_SYSVM_BACKEND_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "sysvm/vmerr.h"

uint64_t host_monotonic_ns(void);
uint64_t host_realtime_ns(void);
/* Sleeps until one of fds (n <= 16, -1 entries ignored) is readable or timeout_ns passes, or a signal
 * arrives. Returns 1 if an fd is readable, 0 on timeout or signal. */
int host_wait(const int *fds, unsigned n, uint64_t timeout_ns);
/* Opens a regular file for reading (a boot image) and gives its size. Returns -1 with a message naming
 * `what` and path. Images are read with pread straight into guest RAM, never mapped: a file truncated
 * while it is read gives a short read (an error), not a SIGBUS in the host. */
int host_open_file(const char *path, const char *what, uint64_t *len, VmError *err);
/* The process's resident memory now and at its peak (0 if unknown). */
uint64_t host_rss_bytes(void);
uint64_t host_peak_rss_bytes(void);
/* How many bytes of [p, p+len) are resident in host memory (mincore), for telling guest RAM from Lodge's own. */
uint64_t host_resident_bytes(const void *p, uint64_t len);

#endif
