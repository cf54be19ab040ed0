/* verb_console.c: `lodge console ID`: attach this terminal to a machine's serial console through the
 * daemon (the connection is upgraded to a raw byte pipe), in raw mode as `lodge boot` does: Ctrl-A x
 * detaches (the guest keeps running), Ctrl-A Ctrl-A types one Ctrl-A. From a pipe instead of a terminal the
 * input is sent as is, and once it ends the output is relayed until the console is quiet for a second. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "mgr/cmd.h"
#include "mgr/mgr.h"

#define QUIET_MS 1000   /* after the input ends, how long the console may be silent before we detach */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Relays bytes both ways until detach, the end of the console or a signal. Returns why it ended. */
static const char *relay(int sock, bool tty)
{
    bool escape = false, in_open = true;
    char buf[4096], out[8192];
    for (;;) {
        if (stop_signal)
            return "interrupted";
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN}};
        int r = poll(p, 2, in_open ? -1 : QUIET_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return strerror(errno);
        if (r == 0)
            return NULL;   /* input ended and the console went quiet */
        if (p[0].revents) {
            ssize_t n = read(sock, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return "the console was closed (the machine ended?)";
            if (!write_all(STDOUT_FILENO, buf, (size_t)n))
                return "cannot write the output";
        }
        if (in_open && p[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                in_open = false;
                continue;
            }
            size_t o = 0;
            for (ssize_t i = 0; i < n; i++) {
                char ch = buf[i];
                if (tty && escape) {
                    escape = false;
                    if (ch == 'x' || ch == 'X')
                        return send_all(sock, out, o) ? NULL : "the console was closed";
                    if (ch != 0x01)
                        out[o++] = 0x01;
                } else if (tty && ch == 0x01) {
                    escape = true;
                    continue;
                }
                out[o++] = ch;
            }
            if (!send_all(sock, out, o))
                return "the console was closed (the machine ended?)";
        }
    }
}

int mgr_cmd_console(int argc, char **argv)
{
    Cmd c = {0};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    cJSON *g = NULL;
    if (!ops)
        return MGR_EXIT_ERROR;
    rc = cmd_begin(&c, argv[0], "usage: lodge console ID\n\n"
                   "Attaches this terminal to a machine's serial console; Ctrl-A x detaches and leaves the\n"
                   "machine running. Several clients may not share one console at once.\n",
                   NULL, NULL, argc, argv, true, NULL, NULL, ops, &nops);
    if (rc >= 0)
        goto out;
    if (c.json) {
        rc = cmd_usage_error(&c, "--json: a console is a stream of bytes, not JSON");
        goto out;
    }
    if (nops != 1) {
        rc = cmd_usage_error(&c, nops ? "one machine at a time" : "which machine? give its id (lodge ps lists them)");
        goto out;
    }
    const char *coll;
    if ((rc = cmd_find_guest(&c, ops[0], &coll, &g)))
        goto out;
    if (strcmp(coll, "machines") != 0) {
        rc = cmd_error(&c, "%s is a WebAssembly instance: it has no console (its output: lodge logs %s)", ops[0],
                       ops[0]);
        goto out;
    }
    char esc[256], target[320], pending[16384];
    size_t npending;
    cmd_escape(ops[0], esc, sizeof esc);
    snprintf(target, sizeof target, "/v1/machines/%s/console", esc);
    ClientReply r;
    int sock = client_upgrade(&c.client, target, "lodge-console", &r, pending, sizeof pending, &npending);
    if (sock < 0) {
        if (r.status) {
            cJSON *j = r.body ? cJSON_ParseWithLength(r.body, r.len) : NULL;
            rc = cmd_fault(&c, r.status, j, j ? NULL : r.body);
            cJSON_Delete(j);
            client_reply_free(&r);
        } else {
            rc = cmd_unreachable(&c);
        }
        goto out;
    }
    bool tty = isatty(STDIN_FILENO);
    struct termios saved;
    if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        fprintf(stderr, "[connected to %s; Ctrl-A x detaches]\r\n", ops[0]);
    } else {
        tty = false;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    const char *why = NULL;
    if (npending && !write_all(STDOUT_FILENO, pending, npending))
        why = "cannot write the output";
    if (!why)
        why = relay(sock, tty);
    close(sock);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fprintf(stderr, "\r\n[detached from %s]\n", ops[0]);
    }
    rc = MGR_EXIT_OK;
    if (why && stop_signal)
        rc = 128 + stop_signal;
    else if (why)
        fprintf(stderr, "lodge console: %s\n", why);
out:
    cJSON_Delete(g);
    free(ops);
    cmd_end(&c);
    return rc;
}
