/* mgr/workers.h: WebAssembly instances run in worker processes (`lodged worker`), many instances per worker,
 * each worker jailed; a fault in a worker ends that worker only: the pool restarts it and reports its
 * instances as crashed. The pool is thread-safe; it watches its workers on a thread of its own and reports
 * state changes through the callback (called on that thread). Design, protocol, limits: docs/workers.md. */
#ifndef LODGE_MGR_WORKERS_H
#define LODGE_MGR_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lodge.h"

typedef struct WorkerPool WorkerPool;

typedef struct InstanceSpec {
    const char *id;                 /* the daemon's id for the instance: [A-Za-z0-9_.-]{1,64} */
    const char *module_path;        /* a validated module file (in the daemon's state directory) */
    int argc;
    const char *const *argv;
    int envc;
    const char *const *env;         /* "KEY=VALUE" */
    int ndirs;
    const lodge_wasi_dir_t *dirs;   /* preopens */
    size_t max_memory;              /* the store's budget, bytes; 0: the pool's default */
    uint64_t fuel;                  /* 0: unlimited */
    unsigned cpu_weight;            /* 1..10000, share of a worker's CPU among runnable instances; 0: 100 */
    const char *stdout_path;        /* the instance's output is appended here (its log) */
    const char *stderr_path;
    bool start;                     /* started as soon as created, in the same request to its worker */
} InstanceSpec;

typedef struct InstanceStatus {
    char id[72];
    lodge_guest_state_t state;
    int exit_code;                  /* STOPPED by proc_exit or _start returning */
    char error[256];                /* STOPPED by a trap ("integer divide by zero" + backtrace), or CRASHED */
    uint64_t memory_bytes;          /* accounted to the store */
    uint64_t cpu_ns;                /* CPU time the instance has used */
    uint64_t fuel_used;
} InstanceStatus;

typedef void (*WorkerEventFn)(void *opaque, const InstanceStatus *status);

/* Starts (or, after a daemon restart, reconnects to) the workers whose sockets live in state_dir/workers/.
 * lodged_path: the lodged binary to run as `lodged worker`. */
WorkerPool *workers_new(const char *lodged_path, const char *state_dir, unsigned nworkers, WorkerEventFn fn,
                        void *opaque, char *err, size_t errlen);
void workers_delete(WorkerPool *p);   /* stops the pool's thread; workers keep running for the next daemon */

/* Places the instance on a worker in state CREATED (module loaded and instantiated, not started). The
 * pool opens the module, output files and preopens itself and hands them to the worker. */
bool workers_create(WorkerPool *p, const InstanceSpec *spec, char *err, size_t errlen);
/* The same with spec->start: true once created; err is then empty if it also started, else why not (the
 * instance stays CREATED). One round trip to the worker instead of two. */
bool workers_start(WorkerPool *p, const char *id, char *err, size_t errlen);
bool workers_pause(WorkerPool *p, const char *id, char *err, size_t errlen);
bool workers_resume(WorkerPool *p, const char *id, char *err, size_t errlen);
/* Graceful: the guest is interrupted and ends as by proc_exit(143). Returns once it has ended (or after a
 * second, for a guest inside a long host call: it ends when the call returns). */
bool workers_stop(WorkerPool *p, const char *id, char *err, size_t errlen);
/* Immediate: the instance is dropped (exit 137, "killed"); returns as workers_stop does. */
bool workers_kill(WorkerPool *p, const char *id, char *err, size_t errlen);
/* Forgets a created, stopped or crashed instance, or one being stopped or killed (once it has ended). */
bool workers_remove(WorkerPool *p, const char *id, char *err, size_t errlen);
bool workers_status(WorkerPool *p, const char *id, InstanceStatus *out);
/* Every instance the pool knows (for a daemon that restarts); returns how many were written. */
size_t workers_list(WorkerPool *p, InstanceStatus *out, size_t max);

/* Additions for operators and tests. */

struct JailCgroups;
typedef struct WorkersOptions {
    unsigned threads;               /* runner threads per worker; 0: the host's CPUs */
    bool no_jail;                   /* plain processes, no seccomp (a host without the jail, debugging) */
    const struct JailCgroups *cgroups; /* each worker in the group "worker-N" under it (give workers a parent
                                     * group of their own: guests' ids are group names too); NULL: none */
    unsigned cpu_weight, cpu_max_pct; /* each worker's group (mgr/jail.h JailLimits); 0: no limit */
    uint64_t mem_max;
    uint64_t max_address_space;     /* RLIMIT_AS of each jailed worker, bytes (each linear memory reserves
                                     * 8 GiB: this bounds the instances with a memory a worker takes); 0: none */
} WorkersOptions;

/* workers_new with options (NULL: the defaults, as workers_new). */
WorkerPool *workers_new_opts(const char *lodged_path, const char *state_dir, unsigned nworkers,
                             const WorkersOptions *opt, WorkerEventFn fn, void *opaque, char *err, size_t errlen);

/* Stops the pool's thread, asks every worker to exit (dropping its instances), then frees the pool. */
void workers_shutdown(WorkerPool *p);

typedef struct WorkerInfo {
    int pid;
    bool up;
    uint64_t instances;             /* instances the worker holds (any state) */
    unsigned threads;               /* runner threads */
    uint64_t stacks;                /* started instances with a host stack (running, paused, sleeping) */
    uint64_t max_rss_bytes;         /* the worker's peak resident memory */
    bool seccomp;                   /* its threads run under their allow-lists */
    char jail[1024];                /* the jail's report: the protections in force and those the host refused */
} WorkerInfo;

unsigned workers_count(const WorkerPool *p);
/* Worker k's process and load; false when it is down. */
bool workers_info(WorkerPool *p, unsigned k, WorkerInfo *out);

#endif
