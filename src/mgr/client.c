/* client.c: the HTTP/1.1 client of client.h: requests framed with Content-Length, replies framed by
 * Content-Length, chunked encoding or the end of the connection; a connection the daemon closed between
 * requests is opened again once. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgr/client.h"

#define HEAD_MAX 16384

typedef struct Head {
    int status;
    char content_type[96];
    long long length;    /* -1: not given */
    bool chunked, close;
} Head;

/* Where body bytes go: appended to a reply, or written to a file descriptor. */
typedef struct Sink {
    ClientReply *reply;
    size_t cap;
    int fd;
} Sink;

void client_init(Client *c, const char *socket, int timeout_ms)
{
    memset(c, 0, sizeof *c);
    snprintf(c->socket, sizeof c->socket, "%s", socket);
    c->fd = -1;
    c->timeout_ms = timeout_ms;
}

void client_close(Client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->buflen = 0;
}

void client_reply_free(ClientReply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

static bool fail(Client *c, const char *what)
{
    snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(errno));
    client_close(c);
    return false;
}

static bool connect_socket(Client *c)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(c->socket) >= sizeof sa.sun_path) {
        snprintf(c->err, sizeof c->err, "socket path too long: %s", c->socket);
        c->unreachable = true;
        return false;
    }
    strcpy(sa.sun_path, c->socket);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return fail(c, "socket");
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(c->err, sizeof c->err, "%s", strerror(errno));
        c->unreachable = true;
        client_close(c);
        return false;
    }
    c->unreachable = false;
    c->buflen = 0;
    return true;
}

static bool send_all(Client *c, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(c, "sending to the daemon");
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* More bytes into c->buf; 0 at the end of the connection, -1 on error or timeout (c->err set). */
static ssize_t fill(Client *c)
{
    if (c->buflen == sizeof c->buf) {
        snprintf(c->err, sizeof c->err, "reply head too large");
        return -1;
    }
    for (;;) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pfd, 1, c->timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            snprintf(c->err, sizeof c->err, "the daemon did not answer within %d s", c->timeout_ms / 1000);
            return -1;
        }
        ssize_t n = read(c->fd, c->buf + c->buflen, sizeof c->buf - c->buflen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(c->err, sizeof c->err, "reading from the daemon: %s", strerror(errno));
            return -1;
        }
        c->buflen += (size_t)n;
        return n;
    }
}

static void consume(Client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->buflen - n);
    c->buflen -= n;
}

/* Reads and parses the status line and headers. *got_any: some byte of the reply arrived. */
static bool read_head(Client *c, Head *h, bool *got_any)
{
    memset(h, 0, sizeof *h);
    h->length = -1;
    char *end;
    *got_any = c->buflen > 0;
    while (!(end = memmem(c->buf, c->buflen, "\r\n\r\n", 4))) {
        ssize_t n = fill(c);
        if (n <= 0) {
            if (n == 0)
                snprintf(c->err, sizeof c->err, "the daemon closed the connection");
            return false;
        }
        *got_any = true;
    }
    size_t headlen = (size_t)(end - c->buf) + 4;
    char head[HEAD_MAX + 1];
    memcpy(head, c->buf, headlen);
    head[headlen] = '\0';
    consume(c, headlen);
    if (sscanf(head, "HTTP/1.%*1[01] %3d", &h->status) != 1 || h->status < 100) {
        snprintf(c->err, sizeof c->err, "not an HTTP reply from the daemon");
        return false;
    }
    for (char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
        char *name = line + 2, *colon = strchr(name, ':'), *eol = strstr(name, "\r\n");
        if (!colon || colon > eol)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vlen = (size_t)(eol - v), nlen = (size_t)(colon - name);
        if (nlen == 14 && strncasecmp(name, "Content-Length", 14) == 0)
            h->length = strtoll(v, NULL, 10);
        else if (nlen == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0)
            h->chunked = vlen >= 7 && strncasecmp(v, "chunked", 7) == 0;
        else if (nlen == 10 && strncasecmp(name, "Connection", 10) == 0)
            h->close = vlen >= 5 && strncasecmp(v, "close", 5) == 0;
        else if (nlen == 12 && strncasecmp(name, "Content-Type", 12) == 0)
            snprintf(h->content_type, sizeof h->content_type, "%.*s", (int)vlen, v);
    }
    return true;
}

static bool sink_put(Client *c, Sink *s, const char *p, size_t n)
{
    if (s->reply) {
        ClientReply *r = s->reply;
        if (r->len + n + 1 > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b) {
                snprintf(c->err, sizeof c->err, "out of memory reading a reply of %zu bytes", r->len + n);
                return false;
            }
            r->body = b;
            s->cap = cap;
        }
        memcpy(r->body + r->len, p, n);
        r->len += n;
        r->body[r->len] = '\0';
        return true;
    }
    while (n) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(c->err, sizeof c->err, "writing the output: %s", strerror(errno));
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Exactly n bytes (n < 0: until the connection ends) from the connection into the sink. */
static bool copy_body(Client *c, Sink *s, long long n)
{
    for (;;) {
        size_t take = c->buflen;
        if (n >= 0 && (long long)take > n)
            take = (size_t)n;
        if (take) {
            if (!sink_put(c, s, c->buf, take))
                return false;
            consume(c, take);
            if (n >= 0)
                n -= (long long)take;
        }
        if (n == 0)
            return true;
        ssize_t r = fill(c);
        if (r < 0)
            return false;
        if (r == 0) {
            if (n < 0)
                return true;
            snprintf(c->err, sizeof c->err, "the daemon closed the connection in the middle of a reply");
            return false;
        }
    }
}

/* A chunked body: "SIZE\r\nDATA\r\n" ... "0\r\n\r\n". */
static bool copy_chunked(Client *c, Sink *s)
{
    for (;;) {
        char *eol;
        while (!(eol = memmem(c->buf, c->buflen, "\r\n", 2)))
            if (fill(c) <= 0) {
                snprintf(c->err, sizeof c->err, "the daemon closed the connection in the middle of a reply");
                return false;
            }
        char *endp;
        unsigned long long size = strtoull(c->buf, &endp, 16);
        if (endp == c->buf) {
            snprintf(c->err, sizeof c->err, "a malformed chunk from the daemon");
            return false;
        }
        consume(c, (size_t)(eol - c->buf) + 2);
        if (size == 0) {
            /* Trailers (none expected) end with an empty line. */
            for (;;) {
                while (!(eol = memmem(c->buf, c->buflen, "\r\n", 2)))
                    if (fill(c) <= 0)
                        return true;
                bool empty = eol == c->buf;
                consume(c, (size_t)(eol - c->buf) + 2);
                if (empty)
                    return true;
            }
        }
        if (!copy_body(c, s, (long long)size))
            return false;
        while (c->buflen < 2)
            if (fill(c) <= 0) {
                snprintf(c->err, sizeof c->err, "the daemon closed the connection in the middle of a reply");
                return false;
            }
        consume(c, 2);
    }
}

static bool read_body(Client *c, const Head *h, Sink *s)
{
    bool ok;
    if (h->status == 101 || h->status == 204 || h->status == 304 || h->status < 200)
        ok = true;
    else if (h->chunked)
        ok = copy_chunked(c, s);
    else if (h->length >= 0)
        ok = copy_body(c, s, h->length);
    else {
        ok = copy_body(c, s, -1);
        client_close(c);
    }
    if (!ok)
        client_close(c);
    else if (h->close)
        client_close(c);
    return ok;
}

/* Sends the request (opening the connection when needed) and reads the reply's head. A kept-alive
 * connection the daemon closed in the meantime is opened again once, when no byte of a reply came back. */
static bool exchange(Client *c, const char *method, const char *target, const char *extra, const char *ctype,
                     const void *body, size_t len, Head *h)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->fd >= 0;
        if (!reused && !connect_socket(c))
            return false;
        char head[1024];
        int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: lodge\r\n%s", method,
                         target, extra ? extra : "");
        if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
            n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                          ctype ? ctype : "application/json", len);
        n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
        if ((size_t)n >= sizeof head) {
            snprintf(c->err, sizeof c->err, "request target too long");
            return false;
        }
        bool got_any = false;
        if (send_all(c, head, (size_t)n) && (!len || send_all(c, body, len)) && read_head(c, h, &got_any))
            return true;
        if (!reused || got_any)
            return false;
        client_close(c);
    }
    return false;
}

bool client_request(Client *c, const char *method, const char *target, const char *ctype, const void *body,
                    size_t len, ClientReply *out)
{
    memset(out, 0, sizeof *out);
    Head h;
    if (!exchange(c, method, target, NULL, ctype, body, len, &h))
        return false;
    out->status = h.status;
    snprintf(out->content_type, sizeof out->content_type, "%s", h.content_type);
    Sink s = {.reply = out, .fd = -1};
    if (!read_body(c, &h, &s)) {
        client_reply_free(out);
        return false;
    }
    return true;
}

bool client_stream(Client *c, const char *target, int out_fd, ClientReply *out)
{
    memset(out, 0, sizeof *out);
    Head h;
    if (!exchange(c, "GET", target, NULL, NULL, NULL, 0, &h))
        return false;
    out->status = h.status;
    snprintf(out->content_type, sizeof out->content_type, "%s", h.content_type);
    int saved = c->timeout_ms;
    bool ok2xx = h.status >= 200 && h.status < 300;
    if (ok2xx)
        c->timeout_ms = -1;   /* a followed log may be quiet for as long as the guest is */
    Sink s = {.reply = ok2xx ? NULL : out, .fd = out_fd};
    bool ok = read_body(c, &h, &s);
    c->timeout_ms = saved;
    if (!ok)
        client_reply_free(out);
    return ok;
}

int client_upgrade(Client *c, const char *target, const char *proto, ClientReply *out, char *pending,
                   size_t cap, size_t *npending)
{
    memset(out, 0, sizeof *out);
    *npending = 0;
    char extra[128];
    snprintf(extra, sizeof extra, "Connection: Upgrade\r\nUpgrade: %s\r\n", proto);
    Head h;
    if (!exchange(c, "GET", target, extra, NULL, NULL, 0, &h))
        return -1;
    if (h.status != 101) {
        out->status = h.status;
        Sink s = {.reply = out, .fd = -1};
        if (!read_body(c, &h, &s))
            client_reply_free(out);
        else
            out->status = h.status;
        return -1;
    }
    size_t n = c->buflen < cap ? c->buflen : cap;
    memcpy(pending, c->buf, n);
    *npending = n;
    int fd = c->fd;
    c->fd = -1;
    c->buflen = 0;
    return fd;
}
