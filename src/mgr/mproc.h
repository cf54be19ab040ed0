/* mgr/mproc.h: a machine's own process (`lodged machine`): started detached from the daemon (it outlives
 * it), driven through its Firecracker API socket, watched by pid and start time. */
#ifndef LODGE_MGR_MPROC_H
#define LODGE_MGR_MPROC_H

#include <stdbool.h>
#include <stddef.h>

#include "mgr/daemon.h"

/* Start the process for g (api/console sockets, console log and exit file under the guest's directory
 * and the run directory) and wait until its API socket answers. */
bool mproc_spawn(Daemon *d, Guest *g, char *err, size_t errlen);
/* One request to the machine's API; *status is the HTTP status, *resp its body (malloc'd, may be NULL).
 * False when the process cannot be reached (err says why). */
bool mproc_call(const Guest *g, const char *method, const char *path, const char *body, int *status,
                char **resp, char *err, size_t errlen);
/* Is the process that we started for g still there (not a zombie, not a reused pid)? Reaps our children. */
bool mproc_alive(Guest *g);
/* SIGKILL to the process (it is its own session leader: its whole group). */
void mproc_kill(Guest *g);
/* The process is gone: read its exit file into g's exit reason. False when there is none (a crash). */
bool mproc_read_exit(const Daemon *d, Guest *g);
/* GET /lodge/stats into g->stats, and the process's CPU time and resident size from /proc. */
bool mproc_refresh_stats(Guest *g);
/* The process has ended: its sockets, its run directory and its cgroup go. */
void mproc_cleanup(const Daemon *d, Guest *g);
/* The start time of pid (/proc/PID/stat field 22), 0 when there is no such process or it is a zombie. */
unsigned long long mproc_start_time(int pid);
/* Paths in the guest's directory: "console.log", "exit.json" (in its io/ directory, the jail's to write),
 * "process.log", "io". */
void mproc_file(const Daemon *d, const Guest *g, const char *name, char *out, size_t len);
/* The machine's directory next to the daemon's socket, holding its API and console sockets. */
void mproc_run_dir(const Daemon *d, const Guest *g, char *out, size_t len);

#endif
