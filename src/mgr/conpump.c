/* conpump.c: the console pump's thread: poll() over a wake-up pipe, the console socket's listener, its
 * clients and the guest's console. Output fans out to every sink; input from any client goes to the guest. */
#include "mgr/conpump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONPUMP_MAX_CLIENTS 16

struct ConPump {
    pthread_t thread;
    int wake[2];                 /* a byte: look again at console_fd; 'q': drain and end */
    pthread_mutex_t lock;
    int console_fd;              /* -1 until attached; owned by the machine */
    int log_fd, listen_fd;
    int clients[CONPUMP_MAX_CLIENTS];
    unsigned nclients;
    bool to_stdout;
    char *sock_path;
};

static void write_all_or_drop(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;              /* a full client or a broken log: the guest does not wait for it */
        buf += w;
        len -= (size_t)w;
    }
}

static void drop_client(ConPump *p, unsigned i)
{
    close(p->clients[i]);
    p->clients[i] = p->clients[--p->nclients];
}

/* Copies everything the guest has written so far to every sink. */
static void pump_output(ConPump *p, int cfd)
{
    char buf[4096];
    for (;;) {
        ssize_t r = read(cfd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        if (p->log_fd >= 0)
            write_all_or_drop(p->log_fd, buf, (size_t)r);
        if (p->to_stdout)
            write_all_or_drop(STDOUT_FILENO, buf, (size_t)r);
        for (unsigned i = 0; i < p->nclients; i++)
            write_all_or_drop(p->clients[i], buf, (size_t)r);
    }
}

static void accept_client(ConPump *p)
{
    int c = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (p->nclients == CONPUMP_MAX_CLIENTS) {
        static const char msg[] = "lodged: too many console clients\r\n";
        write_all_or_drop(c, msg, sizeof msg - 1);
        close(c);
        return;
    }
    p->clients[p->nclients++] = c;
}

/* Input from client i to the guest; false when the client has gone. */
static bool pump_input(ConPump *p, unsigned i, int cfd)
{
    char buf[1024];
    ssize_t r = read(p->clients[i], buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        return false;
    if (r > 0 && cfd >= 0) {
        /* The console fd is non-blocking; a guest that does not read loses keystrokes, not the pump. */
        write_all_or_drop(cfd, buf, (size_t)r);
    }
    return true;
}

static void *pump_main(void *opaque)
{
    ConPump *p = opaque;
    struct pollfd fds[3 + CONPUMP_MAX_CLIENTS];
    for (bool quit = false; !quit;) {
        pthread_mutex_lock(&p->lock);
        int cfd = p->console_fd;
        pthread_mutex_unlock(&p->lock);
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = cfd, .events = POLLIN};
        for (unsigned i = 0; i < p->nclients; i++)
            fds[n++] = (struct pollfd){.fd = p->clients[i], .events = POLLIN};
        if (poll(fds, n, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            char c[16];
            ssize_t r = read(p->wake[0], c, sizeof c);
            quit = r > 0 && memchr(c, 'q', (size_t)r);
        }
        if (cfd >= 0 && (fds[2].revents || quit))
            pump_output(p, cfd);
        /* Clients before accepting, while fds[] still matches p->clients. */
        for (unsigned i = p->nclients; i-- > 0;)
            if (fds[3 + i].revents && !pump_input(p, i, cfd))
                drop_client(p, i);
        if (fds[1].revents)
            accept_client(p);
    }
    return NULL;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "--console-sock %s: path too long for a Unix socket", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "--console-sock: socket: %s", strerror(errno));
        return -1;
    }
    unlink(path);             /* a socket file left by an earlier process of the same machine */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
        snprintf(err, errlen, "--console-sock %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

ConPump *conpump_new(const char *log_path, const char *sock_path, char *err, size_t errlen)
{
    ConPump *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->console_fd = p->log_fd = p->listen_fd = p->wake[0] = p->wake[1] = -1;
    pthread_mutex_init(&p->lock, NULL);
    p->to_stdout = !log_path && !sock_path;
    if (log_path && (p->log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0) {
        snprintf(err, errlen, "--console-log %s: %s", log_path, strerror(errno));
        goto fail;
    }
    if (sock_path) {
        if ((p->listen_fd = listen_unix(sock_path, err, errlen)) < 0)
            goto fail;
        if (!(p->sock_path = strdup(sock_path))) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&p->thread, NULL, pump_main, p) != 0) {
        snprintf(err, errlen, "cannot start the console thread");
        goto fail;
    }
    return p;
fail:
    if (p->wake[0] >= 0) {
        close(p->wake[0]);
        close(p->wake[1]);
    }
    if (p->listen_fd >= 0) {
        close(p->listen_fd);
        unlink(sock_path);
    }
    if (p->log_fd >= 0)
        close(p->log_fd);
    free(p->sock_path);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
}

void conpump_attach(ConPump *p, int console_fd)
{
    pthread_mutex_lock(&p->lock);
    p->console_fd = console_fd;
    pthread_mutex_unlock(&p->lock);
    char c = 'a';
    (void)!write(p->wake[1], &c, 1);
}

void conpump_delete(ConPump *p)
{
    if (!p)
        return;
    char c = 'q';
    (void)!write(p->wake[1], &c, 1);
    pthread_join(p->thread, NULL);
    for (unsigned i = 0; i < p->nclients; i++)
        close(p->clients[i]);
    close(p->wake[0]);
    close(p->wake[1]);
    if (p->listen_fd >= 0) {
        close(p->listen_fd);
        unlink(p->sock_path);
    }
    if (p->log_fd >= 0)
        close(p->log_fd);
    free(p->sock_path);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
