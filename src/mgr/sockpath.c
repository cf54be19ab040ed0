/* sockpath.c: where the daemon listens when no --socket is given; the daemon and its clients must agree,
 * so both ask here (docs/api.yaml: $XDG_RUNTIME_DIR/lodge/lodged.sock, else /run/user/UID/lodge/lodged.sock,
 * else /tmp/lodge-UID/lodged.sock; LODGE_SOCKET overrides all three). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr/mgr.h"

void mgr_default_socket(char *buf, size_t n)
{
    const char *env = getenv("LODGE_SOCKET");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg) {
        snprintf(buf, n, "%s/lodge/lodged.sock", xdg);
        return;
    }
    char run[64];
    struct stat st;
    snprintf(run, sizeof run, "/run/user/%u", (unsigned)getuid());
    if (stat(run, &st) == 0 && S_ISDIR(st.st_mode) && access(run, W_OK) == 0) {
        snprintf(buf, n, "%s/lodge/lodged.sock", run);
        return;
    }
    snprintf(buf, n, "/tmp/lodge-%u/lodged.sock", (unsigned)getuid());
}
