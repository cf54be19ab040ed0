/* The system VM's host services that are not a device backend: clocks and the idle wait. */
#ifndef LODGE_SYSVM_BACKEND_HOST_H
#define LODGE_SYSVM_BACKEND_HOST_H

#include <stdint.h>

uint64_t host_monotonic_ns(void);
uint64_t host_realtime_ns(void);
/* Sleeps until one of fds (n <= 8, -1 entries ignored) is readable or timeout_ns passes, or a signal
 * arrives. Returns 1 if an fd is readable, 0 on timeout or signal. */
int host_wait(const int *fds, unsigned n, uint64_t timeout_ns);

#endif
