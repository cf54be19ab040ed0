/* w_sock.c: sock_* error paths on descriptors that are not sockets; with argument "serve", fd 3 is a
 * listening socket (lodge run --tcplisten): accept one connection, read a line, answer it in upper
 * case, shut down, and check the error paths on a real socket. */
#include <ctype.h>

#include "check.h"

int main(int argc, char **argv)
{
    __wasi_fd_t fd;
    char buf[64];
    __wasi_iovec_t io = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t cio = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_roflags_t rof;
    CHECK_EQ("sock_accept on stdout", __wasi_sock_accept(1, 0, &fd), __WASI_ERRNO_NOTSOCK);
    CHECK_EQ("sock_accept on a bad fd", __wasi_sock_accept(99, 0, &fd), __WASI_ERRNO_BADF);
    CHECK_EQ("sock_recv on stdin", __wasi_sock_recv(0, &io, 1, 0, &n, &rof), __WASI_ERRNO_NOTSOCK);
    CHECK_EQ("sock_send on stdout", __wasi_sock_send(1, &cio, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
    CHECK_EQ("sock_shutdown on stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
    CHECK_EQ("sock_shutdown on a bad fd", __wasi_sock_shutdown(99, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
    if (argc > 1 && strcmp(argv[1], "serve") == 0) {
        __wasi_fdstat_t fs;
        CHECK_EQ("fd_fdstat_get listener", __wasi_fd_fdstat_get(3, &fs), 0);
        CHECK_EQ("listener is a stream socket", fs.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM);
        CHECK_EQ("sock_accept bad flags", __wasi_sock_accept(3, 0x10, &fd), __WASI_ERRNO_INVAL);
        __wasi_fd_t c = (__wasi_fd_t)-1;
        CHECK_EQ("sock_accept", __wasi_sock_accept(3, 0, &c), 0);
        CHECK_EQ("sock_recv bad flags", __wasi_sock_recv(c, &io, 1, 0x40, &n, &rof), __WASI_ERRNO_INVAL);
        size_t got = 0;
        while (got < sizeof buf - 1) {
            __wasi_iovec_t part = {(uint8_t *)buf + got, sizeof buf - 1 - got};
            if (__wasi_sock_recv(c, &part, 1, 0, &n, &rof) != 0 || n == 0)
                break;
            got += n;
            if (memchr(buf, '\n', got))
                break;
        }
        buf[got] = '\0';
        CHECK("sock_recv got a line", got > 0 && buf[got - 1] == '\n');
        for (size_t i = 0; i < got; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        __wasi_ciovec_t reply = {(const uint8_t *)buf, got};
        CHECK_EQ("sock_send", __wasi_sock_send(c, &reply, 1, 0, &n), 0);
        CHECK_EQ("sock_send count", n, got);
        CHECK_EQ("sock_send bad flags", __wasi_sock_send(c, &reply, 1, 7, &n), __WASI_ERRNO_INVAL);
        CHECK_EQ("sock_shutdown bad how", __wasi_sock_shutdown(c, 0), __WASI_ERRNO_INVAL);
        CHECK_EQ("sock_shutdown write side", __wasi_sock_shutdown(c, __WASI_SDFLAGS_WR), 0);
        CHECK_EQ("fd_close accepted socket", __wasi_fd_close(c), 0);
    }
    CHECK_DONE();
}
