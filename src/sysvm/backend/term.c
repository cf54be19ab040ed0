/* Console host side: raw-mode terminal with an escape key, buffered output; or a socket pair for an embedder. */
#include "sysvm/backend/term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool term_open(Term *t, TermMode mode, const char *file, VmError *err)
{
    memset(t, 0, sizeof *t);
    t->in_fd = t->out_fd = t->peer_fd = -1;
    if (mode == TERM_NONE)
        return true;
    if (mode == TERM_STREAM) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
            return vmerr_setk(err, VMERR_IO, "console socket pair: %s", strerror(errno));
        t->in_fd = t->out_fd = sv[0];
        t->peer_fd = sv[1];
        t->own_out = t->stream = true;
        return true;
    }
    if (mode == TERM_FILE) {
        t->out_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (t->out_fd < 0)
            return vmerr_setk(err, VMERR_IO, "console file %s: %s", file, strerror(errno));
        t->own_out = true;
        return true;
    }
    t->in_fd = STDIN_FILENO;
    t->out_fd = STDOUT_FILENO;
    if (isatty(t->in_fd) && tcgetattr(t->in_fd, &t->saved) == 0) {
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        /* Keep output processing as it was: the guest's 8250 driver already sends CR LF. */
        raw.c_oflag = t->saved.c_oflag;
        if (tcsetattr(t->in_fd, TCSANOW, &raw) == 0)
            t->raw = true;
    }
    return true;
}

void term_restore(const Term *t)
{
    if (t->raw)
        tcsetattr(t->in_fd, TCSANOW, &t->saved);
}

/* A stream keeps what the socket does not take now: the next flush tries again. Plain write() on the
 * non-blocking socket (not send()): a confined machine thread is allowed write, and the machine thread blocks
 * SIGPIPE, so a closed peer is an EPIPE here, never a signal. */
static void stream_flush(Term *t)
{
    size_t off = 0;
    while (off < t->out_len) {
        ssize_t n = write(t->out_fd, t->out + off, t->out_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {                 /* the embedder's end is gone: nobody will ever read this */
            t->dropped += t->out_len - off;
            off = t->out_len;
            break;
        }
        off += (size_t)n;
    }
    memmove(t->out, t->out + off, t->out_len - off);
    t->out_len -= off;
}

void term_flush(Term *t)
{
    if (t->stream) {
        stream_flush(t);
        return;
    }
    size_t off = 0;
    while (off < t->out_len && t->out_fd >= 0) {
        ssize_t n = write(t->out_fd, t->out + off, t->out_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;            /* output gone (closed pipe): drop it rather than stall the guest */
        off += (size_t)n;
    }
    t->out_len = 0;
}

void term_close(Term *t)
{
    term_flush(t);
    term_restore(t);
    t->raw = false;
    if (t->own_out && t->out_fd >= 0)
        close(t->out_fd);
    if (t->peer_fd >= 0)
        close(t->peer_fd);
    t->out_fd = t->in_fd = t->peer_fd = -1;
    t->own_out = false;
}

void term_putc(Term *t, uint8_t c)
{
    if (t->out_fd < 0)
        return;
    if (t->out_len == sizeof t->out)
        term_flush(t);
    if (t->out_len == sizeof t->out) {
        t->dropped++;                 /* a stream whose reader is behind: never stall the guest */
        return;
    }
    t->out[t->out_len++] = c;
}

void term_write(Term *t, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        term_putc(t, p[i]);
}

static void in_push(Term *t, uint8_t c)
{
    if (t->in_len < sizeof t->in) {
        t->in[(t->in_head + t->in_len) % sizeof t->in] = c;
        t->in_len++;
    }
}

void term_poll(Term *t)
{
    if (t->in_fd < 0 || t->in_eof)
        return;
    while (t->in_len < sizeof t->in / 2) {
        struct pollfd p = {.fd = t->in_fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            return;
        uint8_t buf[64];
        ssize_t n = read(t->in_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            t->in_eof = true;
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            uint8_t c = buf[i];
            if (t->raw && t->escape) {
                t->escape = false;
                if (c == 'x' || c == 'X') { t->quit = true; continue; }
                if (c != 0x01) in_push(t, 0x01);
            } else if (t->raw && c == 0x01) {
                t->escape = true;
                continue;
            }
            in_push(t, c);
        }
    }
}

int term_getc(Term *t)
{
    if (!t->in_len)
        return -1;
    uint8_t c = t->in[t->in_head];
    t->in_head = (t->in_head + 1) % sizeof t->in;
    t->in_len--;
    return c;
}

int term_wait_fd(const Term *t)
{
    return t->in_eof ? -1 : t->in_fd;
}

bool term_pending(const Term *t)
{
    return t->stream && t->out_len > 0;
}
