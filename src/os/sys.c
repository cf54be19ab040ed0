/* os/sys.c: Linux clocks, sleep, poll, getrandom, sched_yield and the socket calls WASI exposes. */
#include "os/sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define NEG_ERRNO (-errno)

static int clock_of(int id, clockid_t *c)
{
    static const clockid_t ids[4] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                     CLOCK_THREAD_CPUTIME_ID};
    if (id < 0 || id > 3)
        return -EINVAL;
    *c = ids[id];
    return 0;
}

int os_sys_clock_res(int id, uint64_t *ns)
{
    clockid_t c;
    struct timespec ts;
    if (clock_of(id, &c) < 0)
        return -EINVAL;
    if (clock_getres(c, &ts) < 0)
        return NEG_ERRNO;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return 0;
}

int os_sys_clock_now(int id, uint64_t *ns)
{
    clockid_t c;
    struct timespec ts;
    if (clock_of(id, &c) < 0)
        return -EINVAL;
    if (clock_gettime(c, &ts) < 0)
        return NEG_ERRNO;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return 0;
}

int os_sys_sleep(int id, uint64_t ns, bool absolute)
{
    clockid_t c;
    if (clock_of(id, &c) < 0)
        return -EINVAL;
    if (c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID) {
        /* Linux cannot sleep on CPU-time clocks of the calling thread; sleep the same span of wall time. */
        if (absolute) {
            uint64_t now;
            if (os_sys_clock_now(id, &now) < 0)
                return -EINVAL;
            ns = ns > now ? ns - now : 0;
            absolute = false;
        }
        c = CLOCK_MONOTONIC;
    }
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
    if (ns / 1000000000u > (uint64_t)INT32_MAX * 64) /* "forever": far beyond any real wait */
        ts.tv_sec = (time_t)INT32_MAX * 64;
    int r;
    while ((r = clock_nanosleep(c, absolute ? TIMER_ABSTIME : 0, &ts, absolute ? NULL : &ts)) == EINTR) {
    }
    return -r;
}

int os_sys_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return NEG_ERRNO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int os_sys_yield(void)
{
    return sched_yield() < 0 ? NEG_ERRNO : 0;
}

int os_sys_poll(Alloc *a, OsPollFd *fds, size_t n, int64_t timeout_ns)
{
    struct pollfd stackp[16];
    struct pollfd *p = n <= 16 ? stackp : alloc_calloc(a, n, sizeof *p);
    if (!p)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        p[i].fd = fds[i].fd;
        p[i].events = (short)((fds[i].want_read ? POLLIN : 0) | (fds[i].want_write ? POLLOUT : 0));
        p[i].revents = 0;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        tsp = &ts;
    }
    int r;
    while ((r = ppoll(p, n, tsp, NULL)) < 0 && errno == EINTR) {
    }
    if (r < 0)
        r = NEG_ERRNO;
    for (size_t i = 0; i < n && r >= 0; i++) {
        fds[i].readable = (p[i].revents & POLLIN) != 0;
        fds[i].writable = (p[i].revents & POLLOUT) != 0;
        fds[i].hangup = (p[i].revents & POLLHUP) != 0;
        fds[i].error = (p[i].revents & (POLLERR | POLLNVAL)) != 0;
    }
    if (p != stackp)
        alloc_free(a, p, n * sizeof *p);
    return r;
}

int64_t os_sys_readable_bytes(int fd)
{
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0)
        return NEG_ERRNO;
    return n;
}

bool os_sys_is_socket(int fd)
{
    int type;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

int os_sys_sock_accept(int fd, bool nonblock)
{
    int r = accept4(fd, NULL, NULL, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
    return r < 0 ? NEG_ERRNO : r;
}

int64_t os_sys_sock_recv(int fd, const OsIov *iov, int n, bool peek, bool waitall, bool *truncated)
{
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = (struct iovec *)(void *)(uintptr_t)iov;
    m.msg_iovlen = (size_t)n;
    ssize_t r = recvmsg(fd, &m, (peek ? MSG_PEEK : 0) | (waitall ? MSG_WAITALL : 0));
    if (r < 0)
        return NEG_ERRNO;
    *truncated = (m.msg_flags & MSG_TRUNC) != 0;
    return r;
}

int64_t os_sys_sock_send(int fd, const OsIov *iov, int n)
{
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = (struct iovec *)(void *)(uintptr_t)iov;
    m.msg_iovlen = (size_t)n;
    ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
    return r < 0 ? (int64_t)NEG_ERRNO : (int64_t)r;
}

int os_sys_sock_shutdown(int fd, int how)
{
    int h = how == 1 ? SHUT_RD : how == 2 ? SHUT_WR : SHUT_RDWR;
    return shutdown(fd, h) < 0 ? NEG_ERRNO : 0;
}

int os_sys_tcp_listen(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || colon[1] == '\0')
        return -EINVAL;
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host)
        return -EINVAL;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        return -EINVAL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NEG_ERRNO;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
        int e = NEG_ERRNO;
        close(fd);
        return e;
    }
    return fd;
}
