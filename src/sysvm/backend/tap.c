/* Tap backend over /dev/net/tun (IFF_TAP | IFF_NO_PI: bare Ethernet frames). */
#include "sysvm/backend/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

bool tap_open(Tap *t, const char *name, VmError *err)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ)
        return vmerr_set(err, "tap: bad interface name '%s'", name);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return vmerr_setk(err, VMERR_IO, "tap %s: /dev/net/tun: %s", name, strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        close(fd);
        return vmerr_setk(err, VMERR_IO, "tap %s: %s", name, strerror(e));
    }
    t->fd = fd;
    memcpy(t->name, ifr.ifr_name, sizeof t->name - 1);
    return true;
}

void tap_close(Tap *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

ssize_t tap_read(Tap *t, void *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(t->fd, buf, cap);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

bool tap_write(Tap *t, const void *frame, size_t len)
{
    for (;;) {
        ssize_t n = write(t->fd, frame, len);
        if (n >= 0) return (size_t)n == len;
        if (errno == EINTR) continue;
        return false;        /* a full host queue drops the frame, as a real wire would */
    }
}
