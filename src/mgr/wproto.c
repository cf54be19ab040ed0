/* wproto.c: framing and the status record of the pool <-> worker protocol (described in wproto.h). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mgr/wproto.h"

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, 1000);
            continue;
        }
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool wproto_send(int fd, const cJSON *msg)
{
    return wproto_send_fds(fd, msg, NULL, 0);
}

bool wproto_send_fds(int fd, const cJSON *msg, const int *fds, size_t nfds)
{
    if (nfds > WPROTO_MAX_FDS) {
        errno = EINVAL;
        return false;
    }
    char *text = cJSON_PrintUnformatted(msg);
    if (!text) {
        errno = ENOMEM;
        return false;
    }
    size_t len = strlen(text);
    uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    /* One buffer, one send: a small message goes out in one segment and the peer's read sees it whole. */
    char *buf = malloc(len + 4);
    bool ok = false;
    if (buf) {
        memcpy(buf, hdr, 4);
        memcpy(buf + 4, text, len);
        if (nfds) {
            /* The descriptors ride on the first bytes; the rest follows as plain data. */
            union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int) * WPROTO_MAX_FDS)];
            } ctl;
            memset(&ctl, 0, sizeof ctl);
            struct iovec iov = {.iov_base = buf, .iov_len = len + 4};
            struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                                .msg_controllen = CMSG_SPACE(sizeof(int) * nfds)};
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
            ssize_t n;
            do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
            while (n < 0 && errno == EINTR);
            ok = n > 0 && write_all(fd, buf + n, len + 4 - (size_t)n);
        } else {
            ok = write_all(fd, buf, len + 4);
        }
        free(buf);
    } else {
        errno = ENOMEM;
    }
    cJSON_free(text);
    return ok;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct FdBag {
    int *fds;
    size_t n;
} FdBag;

/* Keeps the descriptors of an SCM_RIGHTS message (closes them if the bag is full or absent). */
static void take_fds(struct msghdr *mh, FdBag *bag)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
            if (bag && bag->n < WPROTO_MAX_FDS)
                bag->fds[bag->n++] = f;
            else
                close(f);
        }
    }
}

/* Reads exactly len bytes before the deadline (-1: none). 1: done, 0: end of stream, -1: error/timeout. */
static int read_exact(int fd, void *buf, size_t len, int64_t deadline, FdBag *bag, char *err, size_t errlen)
{
    char *p = buf;
    while (len) {
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                snprintf(err, errlen, "timed out waiting for the worker");
                return -1;
            }
            wait = (int)left;
        }
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return -1;
        }
        if (r == 0)
            continue;
        union {
            struct cmsghdr h;
            char b[CMSG_SPACE(sizeof(int) * WPROTO_MAX_FDS)];
        } ctl;
        struct iovec iov = {.iov_base = p, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (n >= 0 && mh.msg_controllen)
            take_fds(&mh, bag);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            snprintf(err, errlen, "read: %s", strerror(errno));
            return -1;
        }
        if (n == 0) {
            snprintf(err, errlen, "connection closed");
            return 0;
        }
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

cJSON *wproto_recv(int fd, size_t max, int timeout_ms, char *err, size_t errlen)
{
    return wproto_recv_fds(fd, max, timeout_ms, NULL, NULL, err, errlen);
}

static cJSON *recv_bag(int fd, size_t max, int timeout_ms, FdBag *bag, char *err, size_t errlen);

cJSON *wproto_recv_fds(int fd, size_t max, int timeout_ms, int *fds, size_t *nfds, char *err, size_t errlen)
{
    FdBag bag = {fds, 0};
    cJSON *msg = recv_bag(fd, max, timeout_ms, fds ? &bag : NULL, err, errlen);
    if (!msg)
        for (size_t i = 0; i < bag.n; i++)
            close(fds[i]);
    if (nfds)
        *nfds = msg ? bag.n : 0;
    return msg;
}

static cJSON *recv_bag(int fd, size_t max, int timeout_ms, FdBag *bag, char *err, size_t errlen)
{
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    uint8_t hdr[4];
    if (read_exact(fd, hdr, 4, deadline, bag, err, errlen) != 1)
        return NULL;
    size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
    if (len == 0 || len > max) {
        snprintf(err, errlen, "message of %zu bytes (the limit is %zu)", len, max);
        return NULL;
    }
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory for a message of %zu bytes", len);
        return NULL;
    }
    int r = read_exact(fd, buf, len, deadline, bag, err, errlen);
    if (r != 1) {
        if (r == 0)
            snprintf(err, errlen, "connection closed inside a message");
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    cJSON *msg = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!msg || !cJSON_IsObject(msg)) {
        cJSON_Delete(msg);
        snprintf(err, errlen, "a message is not a JSON object");
        return NULL;
    }
    return msg;
}

static const char *const state_names[] = {"created", "running", "paused", "stopped", "crashed"};

const char *wproto_state_name(lodge_guest_state_t s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "unknown";
}

cJSON *wproto_status_json(const InstanceStatus *st)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", st->id);
    cJSON_AddStringToObject(o, "state", wproto_state_name(st->state));
    cJSON_AddNumberToObject(o, "exit_code", st->exit_code);
    cJSON_AddStringToObject(o, "error", st->error);
    cJSON_AddNumberToObject(o, "memory_bytes", (double)st->memory_bytes);
    cJSON_AddNumberToObject(o, "cpu_ns", (double)st->cpu_ns);
    cJSON_AddNumberToObject(o, "fuel_used", (double)st->fuel_used);
    return o;
}

bool wproto_status_parse(const cJSON *o, InstanceStatus *out)
{
    memset(out, 0, sizeof *out);
    const char *id = wproto_str(o, "id"), *state = wproto_str(o, "state"), *error = wproto_str(o, "error");
    if (!id || !state)
        return false;
    snprintf(out->id, sizeof out->id, "%s", id);
    bool known = false;
    for (unsigned i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (strcmp(state, state_names[i]) == 0) {
            out->state = (lodge_guest_state_t)i;
            known = true;
        }
    if (!known)
        return false;
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(o, "exit_code");
    out->exit_code = cJSON_IsNumber(ec) ? ec->valueint : 0;
    snprintf(out->error, sizeof out->error, "%s", error ? error : "");
    out->memory_bytes = wproto_num(o, "memory_bytes", 0);
    out->cpu_ns = wproto_num(o, "cpu_ns", 0);
    out->fuel_used = wproto_num(o, "fuel_used", 0);
    return true;
}

const char *wproto_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

unsigned long long wproto_num(const cJSON *o, const char *name, unsigned long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1.8e19)
        return dflt;
    return (unsigned long long)v->valuedouble;
}

bool wproto_valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return false;
    }
    return true;
}
