/* os/sys.h: clocks, sleeping, readiness polling, randomness, yielding and socket calls for the WASI
 * layer. Calls return 0 (or a count) on success and -errno (POSIX numbering) on failure. */
#ifndef LODGE_OS_SYS_H
#define LODGE_OS_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

#include "os/fs.h"

/* Clocks as WASI numbers them: 0 realtime, 1 monotonic, 2 process CPU time, 3 thread CPU time. */
int os_sys_clock_res(int id, uint64_t *ns);
int os_sys_clock_now(int id, uint64_t *ns);
/* Sleep on clock id until `ns` (absolute) or for `ns` (relative). */
int os_sys_sleep(int id, uint64_t ns, bool absolute);
int os_sys_random(void *buf, size_t len);
int os_sys_yield(void);

typedef struct OsPollFd {
    int fd;
    bool want_read, want_write;
    bool readable, writable, hangup, error; /* results */
} OsPollFd;
/* Wait until one of fds is ready or timeout_ns passes (-1 = forever). Returns the number ready. */
/* More than 16 fds take scratch space from `a` (the guest's allocator; NULL: unaccounted). */
int os_sys_poll(Alloc *a, OsPollFd *fds, size_t n, int64_t timeout_ns);
/* Bytes readable now on fd without blocking (FIONREAD), or -errno. */
int64_t os_sys_readable_bytes(int fd);

bool os_sys_is_socket(int fd);
int os_sys_sock_accept(int fd, bool nonblock);
int64_t os_sys_sock_recv(int fd, const OsIov *iov, int n, bool peek, bool waitall, bool *truncated);
int64_t os_sys_sock_send(int fd, const OsIov *iov, int n);
/* how: bit 0 read side, bit 1 write side. */
int os_sys_sock_shutdown(int fd, int how);
/* A listening TCP socket on "HOST:PORT" (IPv4), as wasmtime's --tcplisten. Returns the fd. */
int os_sys_tcp_listen(const char *addr);

#endif
