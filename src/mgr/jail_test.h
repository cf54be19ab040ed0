/* mgr/jail_test.h: what the parts of `lodged jail-test` (jail_test*.c) share: the check counters, option
 * lookups, bounded waits and the test's own cgroup parent. */
#ifndef LODGE_MGR_JAIL_TEST_H
#define LODGE_MGR_JAIL_TEST_H

#include <stdbool.h>
#include <sys/types.h>

#include "mgr/jail.h"

typedef struct T {
    int pass, fail, skip;
} T;

/* One line per check: "ok: ..." or "FAIL: ...", "skip: WHAT (WHY)"; jt_finish prints the counts and returns
 * the exit status. */
void jt_check(T *t, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void jt_skip(T *t, const char *what, const char *why);
int jt_finish(const T *t);
double jt_now(void);
const char *jt_arg(int argc, char **argv, const char *name, const char *def);
bool jt_flag(int argc, char **argv, const char *name);
/* Waits for pid up to timeout_s, then kills it. The wait status, or -1. */
int jt_wait(pid_t pid, double timeout_s);
/* "netns,root" -> JAIL_NETNS | JAIL_ROOT */
unsigned jt_prot_list(const char *s);
/* A parent group of the test's own ("lodge-test-PID"), removed by jt_cgroups_close. */
JailCgroups *jt_cgroups_open(T *t);
void jt_cgroups_close(JailCgroups *cg);

/* The cases (argv[0] is the case's name). */
int jt_seccomp_case(int argc, char **argv);
int jt_seccomp_child(int argc, char **argv);
int jt_machine_case(int argc, char **argv);
int jt_machine_child(int argc, char **argv);
int jt_busy(int argc, char **argv);
int jt_bomb(int argc, char **argv);
int jt_threads(int argc, char **argv);
int jt_cpu_cap(int argc, char **argv);
int jt_cpu_weight(int argc, char **argv);
int jt_mem_bomb(int argc, char **argv);
int jt_pids_case(int argc, char **argv);
int jt_spawn_rate(int argc, char **argv);
int jt_detach(int argc, char **argv);
int jt_cmp_double(const void *a, const void *b);

#endif
