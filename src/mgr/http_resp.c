/* http_resp.c: building responses for mgr/http.h's handlers: plain bodies, Firecracker's fault shape,
 * streamed bodies and upgrades, and the status lines' reason phrases. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr/http.h"

void http_respond(HttpResponse *r, int status, const char *content_type, const char *body, size_t len)
{
    free(r->body);
    r->status = status;
    r->content_type = content_type;
    r->body = NULL;
    r->body_len = 0;
    if (body) {
        r->body = malloc(len + 1);
        if (!r->body) {
            r->status = 500;
            return;
        }
        memcpy(r->body, body, len);
        r->body[len] = '\0';
        r->body_len = len;
    }
}

bool http_fault(HttpResponse *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* {"fault_message": "..."} with the message escaped as a JSON string. */
    char *out = malloc(sizeof msg * 6 + 32), *p = out;
    if (out) {
        p += sprintf(p, "{\"fault_message\": \"");
        for (const unsigned char *m = (const unsigned char *)msg; *m; m++) {
            if (*m == '"' || *m == '\\')
                p += sprintf(p, "\\%c", *m);
            else if (*m < 0x20)
                p += sprintf(p, "\\u%04x", *m);
            else
                *p++ = (char)*m;
        }
        p += sprintf(p, "\"}\n");
    }
    free(r->body);
    r->status = out ? status : 500;
    r->content_type = "application/json";
    r->body = out;
    r->body_len = out ? (size_t)(p - out) : 0;
    return false;
}

void http_respond_stream(HttpResponse *r, const char *content_type, HttpPullFn pull, void *opaque,
                         void (*free_fn)(void *opaque))
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->status = 200;
    r->content_type = content_type;
    r->pull = pull;
    r->pull_opaque = opaque;
    r->pull_free = free_fn;
}

void http_respond_upgrade(HttpResponse *r, const char *proto, int fd)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->status = 101;
    r->upgrade_proto = proto;
    r->upgrade_fd = fd;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
    }
}
