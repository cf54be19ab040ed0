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

typedef struct HttpResponse {
    int status;               /* 200, 204, 400, ... */
    const char *content_type; /* a static string; NULL: "application/json" when there is a body */
    char *body;               /* malloc'd, owned by the response; NULL for none */
    size_t body_len;
} HttpResponse;

/* Set the response to status with a copy of body. */
void http_respond(HttpResponse *r, int status, const char *content_type, const char *body, size_t len);
/* Firecracker's error shape: {"fault_message": "..."} with status (400, 404, 409, ...). Returns false. */
bool http_fault(HttpResponse *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

typedef void (*HttpHandler)(void *opaque, const HttpRequest *req, HttpResponse *resp);
typedef struct HttpServer HttpServer;

/* Listen on a Unix socket at path (an existing socket file there is replaced). NULL with a message. */
HttpServer *http_server_new_unix(const char *path, HttpHandler fn, void *opaque, char *err, size_t errlen);
/* Serve until http_server_stop(); returns false on a fatal listener error. */
bool http_server_run(HttpServer *s);
/* Any thread (and signal handlers): make http_server_run return soon. */
void http_server_stop(HttpServer *s);
/* Closes every connection and the listener and removes the socket file. */
void http_server_delete(HttpServer *s);

#endif
