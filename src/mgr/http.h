/* mgr/http.h: a small HTTP/1.1 server for the hypervisor's APIs (the daemon's /v1, each machine process's
 * Firecracker API): Unix-domain (and loopback TCP) listeners, one thread, poll(), keep-alive, bounded request
 * sizes, JSON bodies. A handler fills an HttpResponse; the server writes it. */
#ifndef LODGE_MGR_HTTP_H
#define LODGE_MGR_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct HttpRequest {
    const char *method;       /* "GET", "PUT", "PATCH", "POST", "DELETE", ... */
    const char *path;         /* percent-decoded path without the query: "/drives/rootfs" */
    const char *query;        /* the raw text after '?', or "" */
    const char *body;         /* NUL-terminated; body_len bytes (may contain NUL) */
    size_t body_len;
    void *conn;               /* the server's; for http_header() */
} HttpRequest;

/* A request header's value (name compared case-insensitively), or NULL. */
const char *http_header(const HttpRequest *req, const char *name);

/* A streamed (chunked) response body: the server calls pull on its thread whenever the client can take more
 * (and at least every tick), with room for cap bytes. Return HTTP_PULL_MORE (with *len bytes written, 0 when
 * nothing is ready yet) or HTTP_PULL_END (after writing *len final bytes). free_fn releases opaque when the
 * stream ends or the client goes away. */
enum { HTTP_PULL_MORE = 0, HTTP_PULL_END = 1 };
typedef int (*HttpPullFn)(void *opaque, char *buf, size_t cap, size_t *len);

typedef struct HttpResponse {
    int status;               /* 200, 204, 400, ... */
    const char *content_type; /* a static string; NULL: "application/json" when there is a body */
    char *body;               /* malloc'd, owned by the response; NULL for none */
    size_t body_len;
    /* Optional, set with http_respond_stream / http_respond_upgrade (the server zeroes them). */
    HttpPullFn pull;
    void *pull_opaque;
    void (*pull_free)(void *opaque);
    int upgrade_fd;           /* >= 0 after http_respond_upgrade (the server owns it) */
    const char *upgrade_proto;
} HttpResponse;

/* Set the response to status with a copy of body. */
void http_respond(HttpResponse *r, int status, const char *content_type, const char *body, size_t len);
/* "OK", "Not Found", ... for a status code. */
const char *http_status_text(int status);
/* Firecracker's error shape: {"fault_message": "..."} with status (400, 404, 409, ...). Returns false. */
bool http_fault(HttpResponse *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A long-lived chunked response (`logs?follow=true`): see HttpPullFn. */
void http_respond_stream(HttpResponse *r, const char *content_type, HttpPullFn pull, void *opaque,
                         void (*free_fn)(void *opaque));
/* 101 Switching Protocols to proto; then the server relays raw bytes both ways between the client and fd
 * (non-blocking; owned by the server from here) until either side closes (a console attach). */
void http_respond_upgrade(HttpResponse *r, const char *proto, int fd);

typedef void (*HttpHandler)(void *opaque, const HttpRequest *req, HttpResponse *resp);
typedef struct HttpServer HttpServer;

/* Listen on a Unix socket at path (an existing socket file there is replaced). NULL with a message. */
HttpServer *http_server_new_unix(const char *path, HttpHandler fn, void *opaque, char *err, size_t errlen);
/* Limits: header bytes (default 16 KiB), and the largest body for a request (default 1 MiB); body_limit, when
 * set, decides per request from the method and path (413 beyond). Call before http_server_run. */
void http_server_set_limits(HttpServer *s, size_t max_header, size_t max_body,
                            size_t (*body_limit)(void *opaque, const char *method, const char *path));
/* Periodic work on the server's thread (every interval_ms, roughly): reaping guests, stop timeouts. */
void http_server_set_tick(HttpServer *s, int interval_ms, void (*fn)(void *opaque), void *opaque);
/* Any thread: run the tick function soon (work handed over by another thread is waiting). */
void http_server_wake(HttpServer *s);
/* Counters for /metrics. */
typedef struct HttpServerStats {
    unsigned long long requests, bad_requests, connections_total;
    unsigned connections;     /* open now */
} HttpServerStats;
void http_server_stats(const HttpServer *s, HttpServerStats *out);
/* Serve until http_server_stop(); returns false on a fatal listener error. */
bool http_server_run(HttpServer *s);
/* Any thread (and signal handlers): make http_server_run return soon. */
void http_server_stop(HttpServer *s);
/* Closes every connection and the listener and removes the socket file. */
void http_server_delete(HttpServer *s);

#endif
