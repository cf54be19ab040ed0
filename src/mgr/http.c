/* http.c: the HTTP/1.1 server behind mgr/http.h. One thread, one poll() over the listener and every
 * connection, non-blocking sockets throughout: a client that sends or reads slowly only ever costs its own
 * buffers, never the other clients' time. Requests are parsed strictly (RFC 9112) and bounded; anything we
 * cannot frame gets a 4xx and the connection is closed, since after garbage there is no telling where the
 * next request starts. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgr/http.h"

#define HTTP_MAX_CONNS 512
#define HTTP_MAX_HEADERS 64
#define HTTP_REQUEST_TIMEOUT_MS 30000   /* a started request must be complete by then (slowloris) */
#define HTTP_IDLE_TIMEOUT_MS 300000     /* an idle keep-alive connection */
#define HTTP_WRITE_TIMEOUT_MS 30000     /* pending output with no progress: the client stopped reading */
#define HTTP_STREAM_POLL_MS 100         /* how often a streamed body is pulled when nothing wakes us */
#define HTTP_OUT_HIGH (256u << 10)      /* stop producing output for a client beyond this much unsent */
#define HTTP_RELAY_BUF (64u << 10)

typedef struct Buf {
    char *data;
    size_t len, cap, off; /* off: bytes at the front already consumed (sent) */
} Buf;

typedef enum ConnMode { CONN_READ, CONN_STREAM, CONN_UPGRADE } ConnMode;

typedef struct Header {
    const char *name, *value;
} Header;

typedef struct Conn {
    int fd;
    ConnMode mode;
    Buf in, out;
    bool close_after;       /* close once `out` is sent */
    bool continue_sent;     /* "100 Continue" already answered for the request being read */
    bool read_eof;
    bool lingering;         /* answer sent, write side shut: draining what the client still sends */
    long long linger_until_ms;
    long long req_start_ms; /* first byte of the request being read; 0 when idle */
    long long last_progress_ms;
    size_t nhdr;
    Header hdr[HTTP_MAX_HEADERS];
    /* CONN_STREAM */
    HttpPullFn pull;
    void *pull_opaque;
    void (*pull_free)(void *);
    bool chunked;
    /* CONN_UPGRADE */
    int peer_fd;
    Buf to_peer;
    bool peer_eof;
} Conn;

struct HttpServer {
    int listen_fd;
    int wake[2];
    char *path;
    volatile sig_atomic_t stopping;
    _Atomic int tick_now;
    HttpHandler fn;
    void *opaque;
    Conn *conns[HTTP_MAX_CONNS];
    size_t nconns;
    size_t max_header, max_body;
    size_t (*body_limit)(void *, const char *, const char *);
    void (*tick)(void *);
    void *tick_opaque;
    int tick_ms;
    long long next_tick_ms, next_pull_ms;
    HttpServerStats stats;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- buffers ---- */

static bool buf_reserve(Buf *b, size_t extra)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + extra <= b->cap)
        return true;
    if (b->off > 0) { /* reclaim the sent front before growing */
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + extra <= b->cap)
            return true;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

static bool buf_add(Buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return false;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

static bool buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool buf_printf(Buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < sizeof tmp && buf_add(b, tmp, (size_t)n);
}

static size_t buf_pending(const Buf *b)
{
    return b->len - b->off;
}

static void buf_consume_front(Buf *b, size_t n) /* for input: drop the first n unconsumed bytes */
{
    memmove(b->data + b->off, b->data + b->off + n, b->len - b->off - n);
    b->len -= n;
}

/* ---- connections ---- */

static void conn_close(HttpServer *s, size_t i)
{
    Conn *c = s->conns[i];
    close(c->fd);
    if (c->peer_fd >= 0)
        close(c->peer_fd);
    if (c->pull_free)
        c->pull_free(c->pull_opaque);
    free(c->in.data);
    free(c->out.data);
    free(c->to_peer.data);
    free(c);
    s->conns[i] = s->conns[--s->nconns];
    s->stats.connections = (unsigned)s->nconns;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static ssize_t send_some(int fd, const void *p, size_t n)
{
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == ENOTSOCK)
        w = write(fd, p, n);
    return w;
}

/* Queue a complete non-streamed response. */
/* head_only: the answer to HEAD has GET's headers and no body. */
static void queue_response(Conn *c, const HttpResponse *r, bool keep_alive, bool head_only)
{
    int status = r->status ? r->status : 500;
    buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
    bool has_body = status != 204 && status != 304 && status >= 200;
    if (has_body) {
        const char *ct = r->content_type ? r->content_type : "application/json";
        if (r->body_len > 0 || r->content_type)
            buf_printf(&c->out, "Content-Type: %s\r\n", ct);
        buf_printf(&c->out, "Content-Length: %zu\r\n", r->body_len);
    }
    if (!keep_alive)
        buf_printf(&c->out, "Connection: close\r\n");
    buf_add(&c->out, "\r\n", 2);
    if (has_body && r->body_len && !head_only)
        buf_add(&c->out, r->body, r->body_len);
    if (!keep_alive)
        c->close_after = true;
}

/* An error found while framing a request: answer it and close (the stream cannot be resynchronised). */
static void reject(HttpServer *s, Conn *c, int status, const char *msg)
{
    HttpResponse r = {.upgrade_fd = -1};
    http_fault(&r, status, "%s", msg);
    queue_response(c, &r, false, false);
    free(r.body);
    c->mode = CONN_READ;
    c->in.len = c->in.off = 0;
    s->stats.bad_requests++;
}

const char *http_header(const HttpRequest *req, const char *name)
{
    const Conn *c = req->conn;
    for (size_t i = 0; i < c->nhdr; i++)
        if (strcasecmp(c->hdr[i].name, name) == 0)
            return c->hdr[i].value;
    return NULL;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decode src (n bytes) into dst (n+1 bytes). False on a bad escape or an encoded NUL. */
static bool percent_decode(char *dst, const char *src, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            dst[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dst[j++] = src[i];
        }
    }
    dst[j] = '\0';
    return true;
}

typedef struct Framed {
    char *method, *target, *version;
    size_t head_len;      /* request line + headers + the blank line */
    size_t body_len;
    bool keep_alive;
    bool expect_continue;
} Framed;

/* Parse the request line and headers (the head ends at in[hend]); 0 or an HTTP status to reject with. */
static int parse_head(HttpServer *s, Conn *c, char *head, size_t hend, Framed *f, const char **why)
{
    for (size_t i = 0; i < hend; i++)
        if (head[i] == '\0' || (head[i] == '\n' && (i == 0 || head[i - 1] != '\r'))) {
            *why = "malformed request: bare LF or NUL in the request head";
            return 400;
        }
    head[hend] = '\0';
    char *line_end = strstr(head, "\r\n");
    char *next = line_end ? line_end + 2 : head + hend;
    if (line_end)
        *line_end = '\0';
    f->method = head;
    char *sp1 = strchr(head, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
        *why = "malformed request line (expected: METHOD /path HTTP/1.1)";
        return 400;
    }
    *sp1 = *sp2 = '\0';
    f->target = sp1 + 1;
    f->version = sp2 + 1;
    if (!*f->method || strlen(f->method) > 16) {
        *why = "malformed request line: bad method";
        return 400;
    }
    for (const char *p = f->method; *p; p++)
        if (!is_tchar((unsigned char)*p)) {
            *why = "malformed request line: bad method";
            return 400;
        }
    if (f->target[0] != '/') {
        *why = "malformed request line: the target must be a path starting with '/'";
        return 400;
    }
    for (const char *p = f->target; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            *why = "malformed request line: control or non-ASCII byte in the target";
            return 400;
        }
    if (strncmp(f->version, "HTTP/", 5) != 0 || strlen(f->version) != 8 || f->version[6] != '.') {
        *why = "malformed request line: bad HTTP version";
        return 400;
    }
    if (strcmp(f->version, "HTTP/1.1") != 0 && strcmp(f->version, "HTTP/1.0") != 0) {
        *why = "only HTTP/1.0 and HTTP/1.1 are served";
        return 505;
    }
    bool http10 = strcmp(f->version, "HTTP/1.0") == 0;
    f->keep_alive = !http10;
    c->nhdr = 0;
    bool have_len = false, have_te = false;
    size_t clen = 0;
    while (*next) {
        char *eol = strstr(next, "\r\n");
        char *line = next;
        if (eol) {
            *eol = '\0';
            next = eol + 2;
        } else {
            next += strlen(next);
        }
        if (*line == ' ' || *line == '\t') {
            *why = "malformed header: folded header lines are not accepted";
            return 400;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line) {
            *why = "malformed header line (expected Name: value)";
            return 400;
        }
        *colon = '\0';
        for (const char *p = line; *p; p++)
            if (!is_tchar((unsigned char)*p)) {
                *why = "malformed header name";
                return 400;
            }
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        if (c->nhdr == HTTP_MAX_HEADERS) {
            *why = "too many header fields";
            return 413;
        }
        c->hdr[c->nhdr++] = (Header){line, v};
        if (strcasecmp(line, "Content-Length") == 0) {
            if (!*v || strspn(v, "0123456789") != vl || vl > 15) {
                *why = "malformed Content-Length";
                return 400;
            }
            size_t n = (size_t)strtoull(v, NULL, 10);
            if (have_len && n != clen) {
                *why = "conflicting Content-Length headers";
                return 400;
            }
            have_len = true;
            clen = n;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            have_te = true;
        } else if (strcasecmp(line, "Connection") == 0) {
            if (strcasestr(v, "close"))
                f->keep_alive = false;
            else if (http10 && strcasestr(v, "keep-alive"))
                f->keep_alive = true;
        } else if (strcasecmp(line, "Expect") == 0) {
            if (strcasecmp(v, "100-continue") != 0) {
                *why = "unsupported Expect header";
                return 400; /* 417 would be exact; clients treat both as a refusal */
            }
            f->expect_continue = true;
        }
    }
    if (have_te && have_len) {
        *why = "Transfer-Encoding and Content-Length together";
        return 400;
    }
    if (have_te) {
        *why = "chunked request bodies are not accepted: send Content-Length";
        return 411;
    }
    char *q = strchr(f->target, '?');
    size_t plen = q ? (size_t)(q - f->target) : strlen(f->target);
    char pathbuf[256];
    snprintf(pathbuf, sizeof pathbuf, "%.*s", (int)(plen < 255 ? plen : 255), f->target);
    size_t limit = s->body_limit ? s->body_limit(s->opaque, f->method, pathbuf) : s->max_body;
    if (clen > limit) {
        *why = "request body too large";
        return 413;
    }
    f->body_len = clen;
    f->head_len = hend + 4;
    return 0;
}

static void start_stream(HttpServer *s, Conn *c, HttpResponse *r, bool keep_alive, bool http10)
{
    buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", r->status, http_status_text(r->status));
    buf_printf(&c->out, "Content-Type: %s\r\n", r->content_type ? r->content_type : "text/plain");
    c->chunked = !http10;
    if (c->chunked)
        buf_printf(&c->out, "Transfer-Encoding: chunked\r\n");
    if (!keep_alive || http10) {
        buf_printf(&c->out, "Connection: close\r\n");
        c->close_after = true;
    }
    buf_add(&c->out, "\r\n", 2);
    c->mode = CONN_STREAM;
    c->pull = r->pull;
    c->pull_opaque = r->pull_opaque;
    c->pull_free = r->pull_free;
    s->next_pull_ms = 0; /* pull at once */
}

static void start_upgrade(Conn *c, HttpResponse *r)
{
    buf_printf(&c->out, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n",
               r->upgrade_proto ? r->upgrade_proto : "raw");
    c->mode = CONN_UPGRADE;
    c->peer_fd = r->upgrade_fd;
    set_nonblock(c->peer_fd);
    /* Bytes the client sent after the upgrade request belong to the peer. */
    if (buf_pending(&c->in))
        buf_add(&c->to_peer, c->in.data + c->in.off, buf_pending(&c->in));
    c->in.len = c->in.off = 0;
}

/* Frame and serve as many complete requests as the input holds (pipelining), in order. */
static void serve_input(HttpServer *s, Conn *c)
{
    while (c->mode == CONN_READ && !c->close_after && buf_pending(&c->in) > 0 &&
           buf_pending(&c->out) < HTTP_OUT_HIGH) {
        char *in = c->in.data + c->in.off;
        size_t n = buf_pending(&c->in);
        /* Reject garbage as soon as its first line is in, without waiting for a head that never comes. */
        char *hend_p = memmem(in, n, "\r\n\r\n", 4);
        if (!hend_p) {
            if (n > s->max_header)
                return reject(s, c, 413, "request head too large");
            char *nl = memchr(in, '\n', n);
            if (nl) {
                size_t l = (size_t)(nl - in);
                if (l == 0 || in[l - 1] != '\r' || !memchr(in, ' ', l) || memchr(in, '\0', l))
                    return reject(s, c, 400, "malformed request line (expected: METHOD /path HTTP/1.1)");
            }
            return;
        }
        size_t hend = (size_t)(hend_p - in);
        if (hend + 4 > s->max_header)
            return reject(s, c, 413, "request head too large");
        /* Parse a copy: the head is rewritten in place and the body must stay where it is. */
        char *head = malloc(hend + 4);
        if (!head)
            return reject(s, c, 500, "out of memory");
        memcpy(head, in, hend + 4);
        Framed f = {0};
        const char *why = NULL;
        int st = parse_head(s, c, head, hend, &f, &why);
        if (st) {
            reject(s, c, st, why);
            free(head);
            return;
        }
        if (n < f.head_len + f.body_len) {
            if (f.expect_continue && !c->continue_sent) {
                buf_printf(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
                c->continue_sent = true;
            }
            free(head);
            return; /* the body is still coming */
        }
        char *q = strchr(f.target, '?');
        size_t plen = q ? (size_t)(q - f.target) : strlen(f.target);
        char *path = malloc(plen + 1);
        char *body = malloc(f.body_len + 1);
        if (!path || !body || !percent_decode(path, f.target, plen)) {
            free(path);
            free(body);
            free(head);
            return reject(s, c, 400, "malformed request target: bad percent-encoding");
        }
        memcpy(body, in + f.head_len, f.body_len);
        body[f.body_len] = '\0';
        HttpRequest req = {.method = f.method, .path = path, .query = q ? q + 1 : "", .body = body,
                           .body_len = f.body_len, .conn = c};
        HttpResponse r = {.upgrade_fd = -1};
        s->stats.requests++;
        s->fn(s->opaque, &req, &r);
        bool http10 = strcmp(f.version, "HTTP/1.0") == 0;
        buf_consume_front(&c->in, f.head_len + f.body_len);
        c->continue_sent = false;
        c->req_start_ms = buf_pending(&c->in) ? now_ms() : 0;
        if (r.pull && r.status == 200) {
            start_stream(s, c, &r, f.keep_alive, http10);
        } else if (r.upgrade_fd >= 0 && r.status == 101) {
            start_upgrade(c, &r);
        } else {
            if (r.pull_free)
                r.pull_free(r.pull_opaque);
            if (r.upgrade_fd >= 0)
                close(r.upgrade_fd);
            if (r.status < 200)
                http_fault(&r, 500, "handler gave no response");
            queue_response(c, &r, f.keep_alive, strcmp(f.method, "HEAD") == 0);
        }
        if (r.status >= 400)
            s->stats.bad_requests++;
        c->nhdr = 0;
        free(r.body);
        free(body);
        free(path);
        free(head);
    }
}

/* A streamed body: take what the producer has (bounded by what the client has not read yet). */
static void pull_stream(Conn *c)
{
    char buf[16384];
    while (c->mode == CONN_STREAM && buf_pending(&c->out) < HTTP_OUT_HIGH) {
        size_t len = 0;
        int rc = c->pull(c->pull_opaque, buf, sizeof buf, &len);
        if (len > sizeof buf)
            len = sizeof buf;
        if (len) {
            if (c->chunked)
                buf_printf(&c->out, "%zx\r\n", len);
            buf_add(&c->out, buf, len);
            if (c->chunked)
                buf_add(&c->out, "\r\n", 2);
        }
        if (rc == HTTP_PULL_END) {
            if (c->chunked)
                buf_add(&c->out, "0\r\n\r\n", 5);
            else
                c->close_after = true;
            c->pull_free(c->pull_opaque);
            c->pull = NULL;
            c->pull_free = NULL;
            c->mode = CONN_READ;
            return;
        }
        if (!len)
            return;
    }
}

/* ---- the server ---- */

HttpServer *http_server_new_unix(const char *path, HttpHandler fn, void *opaque, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s", strlen(path),
                 sizeof sa.sun_path - 1, path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    HttpServer *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    s->fn = fn;
    s->opaque = opaque;
    s->max_header = 16 << 10;
    s->max_body = 1 << 20;
    s->path = strdup(path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a socket", path);
            goto fail;
        }
        /* A socket someone still answers on belongs to a live server: never steal it. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(probe);
            snprintf(err, errlen, "another server is listening on %s", path);
            goto fail;
        }
        if (probe >= 0)
            close(probe);
        unlink(path);
    }
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(s->listen_fd, 128) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
        goto fail;
    }
    chmod(path, 0600); /* the socket is its owner's: every request it serves acts with the owner's rights */
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    return s;
fail:
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    free(s->path);
    free(s);
    return NULL;
}

void http_server_set_limits(HttpServer *s, size_t max_header, size_t max_body,
                            size_t (*body_limit)(void *opaque, const char *method, const char *path))
{
    if (max_header)
        s->max_header = max_header;
    if (max_body)
        s->max_body = max_body;
    s->body_limit = body_limit;
}

void http_server_set_tick(HttpServer *s, int interval_ms, void (*fn)(void *opaque), void *opaque)
{
    s->tick = fn;
    s->tick_opaque = opaque;
    s->tick_ms = interval_ms > 0 ? interval_ms : 1000;
}

void http_server_stats(const HttpServer *s, HttpServerStats *out)
{
    *out = s->stats;
}

void http_server_wake(HttpServer *s)
{
    s->tick_now = 1;
    if (write(s->wake[1], "w", 1) < 0) {
        /* full pipe: a wake-up is already pending */
    }
}

void http_server_stop(HttpServer *s)
{
    s->stopping = 1;
    int saved = errno;
    if (s->wake[1] >= 0 && write(s->wake[1], "x", 1) < 0) {
        /* full pipe: a wake-up is already pending */
    }
    errno = saved;
}

static void accept_all(HttpServer *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        s->stats.connections_total++;
        Conn *c = s->nconns < HTTP_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 47\r\nConnection: close\r\n\r\n"
                                       "{\"fault_message\": \"too many open connections\"}";
            if (send_some(fd, busy, sizeof busy - 1) < 0) {
                /* the client is gone already */
            }
            close(fd);
            continue;
        }
        c->fd = fd;
        c->peer_fd = -1;
        c->last_progress_ms = now_ms();
        s->conns[s->nconns++] = c;
        s->stats.connections = (unsigned)s->nconns;
    }
}

/* Read what the client sent; false when the connection is finished. */
static bool conn_read(HttpServer *s, Conn *c)
{
    Buf *dst = c->mode == CONN_UPGRADE ? &c->to_peer : &c->in;
    for (int rounds = 0; rounds < 16; rounds++) {
        if (c->mode == CONN_UPGRADE && buf_pending(dst) >= HTTP_RELAY_BUF)
            return true;
        if (!buf_reserve(dst, 16384))
            return false;
        ssize_t r = recv(c->fd, dst->data + dst->len, 16384, MSG_DONTWAIT);
        if (r == 0) {
            c->read_eof = true;
            return true;
        }
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        if (c->mode == CONN_READ && buf_pending(dst) == 0 && !c->req_start_ms)
            c->req_start_ms = now_ms();
        dst->len += (size_t)r;
        if (c->close_after || c->lingering)
            dst->len = dst->off = 0; /* a rejected request's remains: read only to let the client finish */
        c->last_progress_ms = now_ms();
    }
    return true;
}

static bool flush_buf(int fd, Buf *b, long long *progress)
{
    while (buf_pending(b)) {
        ssize_t w = send_some(fd, b->data + b->off, buf_pending(b));
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        b->off += (size_t)w;
        if (progress)
            *progress = now_ms();
    }
    b->off = b->len = 0;
    return true;
}

/* The relay of an upgraded connection: the peer's output to the client. False when the peer is done. */
static bool peer_read(Conn *c)
{
    while (buf_pending(&c->out) < HTTP_RELAY_BUF) {
        if (!buf_reserve(&c->out, 16384))
            return false;
        ssize_t r = read(c->peer_fd, c->out.data + c->out.len, 16384);
        if (r == 0)
            return false;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c->out.len += (size_t)r;
    }
    return true;
}

/* Decide whether a connection ends now (timeouts, both directions finished). */
static bool conn_expired(HttpServer *s, Conn *c, long long now)
{
    if (buf_pending(&c->out) && now - c->last_progress_ms > HTTP_WRITE_TIMEOUT_MS)
        return true;
    if (c->lingering)
        return now > c->linger_until_ms;
    if (c->mode != CONN_READ)
        return false;
    if (c->req_start_ms && now - c->req_start_ms > HTTP_REQUEST_TIMEOUT_MS && !c->close_after) {
        reject(s, c, 408, "request not completed in time");
        return false;
    }
    if (!buf_pending(&c->in) && !buf_pending(&c->out) && now - c->last_progress_ms > HTTP_IDLE_TIMEOUT_MS)
        return true;
    return false;
}

/* One connection's turn after poll(): read, relay, serve, write. False when it is finished. */
static bool conn_step(HttpServer *s, Conn *c, short crev, short prev)
{
    if ((crev & (POLLIN | POLLHUP | POLLERR)) && !conn_read(s, c))
        return false;
    if (c->mode == CONN_UPGRADE) {
        if ((prev & (POLLIN | POLLHUP | POLLERR)) && !peer_read(c))
            c->peer_eof = true;
        if (buf_pending(&c->to_peer) && !flush_buf(c->peer_fd, &c->to_peer, NULL))
            return false;
    }
    if (c->lingering)
        return !c->read_eof;
    if (c->mode == CONN_READ)
        serve_input(s, c);
    if (c->mode == CONN_STREAM)
        pull_stream(c);
    if (!flush_buf(c->fd, &c->out, &c->last_progress_ms))
        return false;
    if (buf_pending(&c->out))
        return true;
    if (c->mode == CONN_READ && buf_pending(&c->in) && !c->close_after) {
        serve_input(s, c); /* requests held back while the output was above its high mark */
        if (!flush_buf(c->fd, &c->out, &c->last_progress_ms))
            return false;
        if (buf_pending(&c->out))
            return true;
    }
    if (c->close_after) {
        /* Shut our side and drain theirs for a moment, so a client still sending the body we refused
         * reads our answer instead of a reset. */
        shutdown(c->fd, SHUT_WR);
        c->lingering = true;
        c->linger_until_ms = now_ms() + 1000;
        return !c->read_eof;
    }
    if (c->mode == CONN_UPGRADE)
        return !(c->peer_eof || (c->read_eof && !buf_pending(&c->to_peer)));
    return !c->read_eof;
}

static int poll_timeout(HttpServer *s, long long now)
{
    long long t = 1000;
    if (s->tick) {
        if (s->next_tick_ms - now < t)
            t = s->next_tick_ms - now;
    }
    for (size_t i = 0; i < s->nconns; i++)
        if (s->conns[i]->mode == CONN_STREAM) {
            if (HTTP_STREAM_POLL_MS < t)
                t = HTTP_STREAM_POLL_MS;
            break;
        }
    return t < 0 ? 0 : (int)t;
}

bool http_server_run(HttpServer *s)
{
    struct pollfd *pfd = calloc(2 + 2 * HTTP_MAX_CONNS, sizeof *pfd);
    if (!pfd)
        return false;
    s->next_tick_ms = now_ms();
    bool ok = true;
    while (!s->stopping) {
        long long now = now_ms();
        if (s->tick && (now >= s->next_tick_ms || s->tick_now)) {
            s->tick_now = 0;
            s->tick(s->tick_opaque);
            s->next_tick_ms = now + s->tick_ms;
        }
        if (now >= s->next_pull_ms) {
            for (size_t i = 0; i < s->nconns; i++)
                if (s->conns[i]->mode == CONN_STREAM)
                    pull_stream(s->conns[i]);
            s->next_pull_ms = now + HTTP_STREAM_POLL_MS;
        }
        size_t n = 0;
        pfd[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < s->nconns; i++) {
            Conn *c = s->conns[i];
            short ev = 0;
            /* No reading while the client's answers pile up unread: pipelined requests wait in its socket. */
            if (!c->read_eof && !(c->mode == CONN_UPGRADE && buf_pending(&c->to_peer) >= HTTP_RELAY_BUF) &&
                !(c->mode == CONN_READ && buf_pending(&c->out) >= HTTP_OUT_HIGH))
                ev |= POLLIN;
            if (buf_pending(&c->out))
                ev |= POLLOUT;
            pfd[n++] = (struct pollfd){.fd = c->fd, .events = ev};
            short pev = 0;
            if (c->mode == CONN_UPGRADE) {
                if (!c->peer_eof && buf_pending(&c->out) < HTTP_RELAY_BUF)
                    pev |= POLLIN;
                if (buf_pending(&c->to_peer))
                    pev |= POLLOUT;
            }
            pfd[n++] = (struct pollfd){.fd = c->mode == CONN_UPGRADE && !c->peer_eof ? c->peer_fd : -1,
                                       .events = pev};
        }
        int rc = poll(pfd, n, poll_timeout(s, now_ms()));
        if (rc < 0 && errno != EINTR) {
            ok = false;
            break;
        }
        if (rc <= 0)
            goto housekeeping;
        if (pfd[0].revents) {
            char tmp[64];
            while (read(s->wake[0], tmp, sizeof tmp) > 0) {
            }
        }
        if (pfd[1].revents & POLLIN)
            accept_all(s);
        /* Walk backwards: conn_close moves the last connection into the freed slot. */
        for (size_t k = (n - 2) / 2; k-- > 0;) {
            if (k < s->nconns && !conn_step(s, s->conns[k], pfd[2 + 2 * k].revents, pfd[3 + 2 * k].revents))
                conn_close(s, k);
        }
    housekeeping:
        now = now_ms();
        for (size_t k = s->nconns; k-- > 0;) {
            Conn *c = s->conns[k];
            if (conn_expired(s, c, now))
                conn_close(s, k);
            else if (buf_pending(&c->out) && !flush_buf(c->fd, &c->out, &c->last_progress_ms))
                conn_close(s, k);
        }
    }
    free(pfd);
    return ok;
}

void http_server_delete(HttpServer *s)
{
    if (!s)
        return;
    while (s->nconns)
        conn_close(s, s->nconns - 1);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->path)
        unlink(s->path);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    free(s->path);
    free(s);
}
