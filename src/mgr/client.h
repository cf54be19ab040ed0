/* mgr/client.h: the client side of the daemon's API: HTTP/1.1 over a Unix socket, one connection kept alive
 * across requests, replies read whole (JSON) or streamed to a file descriptor (logs -f), and the upgrade
 * that turns the connection into a raw byte pipe (console). Blocking, one thread, bounded waits. */
#ifndef LODGE_MGR_CLIENT_H
#define LODGE_MGR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Client {
    char socket[108];
    int fd;              /* -1: not connected */
    int timeout_ms;      /* the longest wait for the daemon to answer; -1: none (streams) */
    bool unreachable;    /* the last failure was connect(): no daemon at socket */
    char err[512];       /* the last transport failure */
    char buf[16384];     /* bytes read past the end of the last reply (pipelined or upgraded) */
    size_t buflen;
} Client;

typedef struct ClientReply {
    int status;
    char content_type[96];
    char *body;          /* malloc'd and NUL-terminated (NULL when empty) */
    size_t len;
} ClientReply;

void client_init(Client *c, const char *socket, int timeout_ms);
void client_close(Client *c);

/* One request, its whole reply in *out (free with client_reply_free). ctype and body may be NULL. False with
 * c->err when the daemon cannot be reached or the exchange breaks (not for 4xx/5xx: those are replies). */
bool client_request(Client *c, const char *method, const char *target, const char *ctype, const void *body,
                    size_t len, ClientReply *out);
void client_reply_free(ClientReply *r);

/* GET target; a 2xx reply's body is written to out_fd as it arrives, until the daemon ends it. Any other
 * status is read whole into *out instead (out->status says which happened). */
bool client_stream(Client *c, const char *target, int out_fd, ClientReply *out);

/* GET target with "Connection: Upgrade" and "Upgrade: proto". On 101: returns the connected socket (now the
 * caller's; *pending holds npending bytes already read after the reply's head, to be used first). Else -1
 * with the refusal in *out (or c->err on a transport failure). */
int client_upgrade(Client *c, const char *target, const char *proto, ClientReply *out, char *pending,
                   size_t cap, size_t *npending);

#endif
