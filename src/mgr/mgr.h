/* mgr/mgr.h: the hypervisor program (build/lodged): its verbs and the helpers they share. */
#ifndef LODGE_MGR_H
#define LODGE_MGR_H

#include <stddef.h>

#define MGR_VERB(name, fn, summary) int fn(int argc, char **argv);
#include "mgr/verbs.def"
#undef MGR_VERB

/* Exit statuses shared with the lodge command (README "Exit status"). */
enum { MGR_EXIT_OK = 0, MGR_EXIT_ERROR = 1, MGR_EXIT_USAGE = 2 };

/* `lodged jail-test`: the jail's test driver, not listed in --help (src/mgr/jail_test.c). */
int mgr_cmd_jail_test(int argc, char **argv);

/* True when arg is -h or --help. */
int mgr_is_help(const char *arg);
/* Appends printf-style text to the NUL-terminated buf of len bytes; what does not fit is cut. */
void mgr_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The daemon's socket when none is given (sockpath.c): LODGE_SOCKET, else $XDG_RUNTIME_DIR/lodge/lodged.sock,
 * else /run/user/UID/lodge/lodged.sock when that directory is writable, else /tmp/lodge-UID/lodged.sock. */
void mgr_default_socket(char *buf, size_t n);

#endif
