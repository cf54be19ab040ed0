/* mgr/daemon.h: the daemon's shared state: its guests of both kinds, the modules, the host's figures, and
 * the lock that serialises the API thread against the worker pool's event thread. */
#ifndef LODGE_MGR_DAEMON_H
#define LODGE_MGR_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "lodge.h"
#include "mgr/http.h"
#include "mgr/workers.h"

#define LODGED_API_VERSION "1.0.0" /* docs/api.yaml's info.version */

typedef enum GuestKind { GUEST_MACHINE, GUEST_INSTANCE } GuestKind;

typedef struct Guest {
    GuestKind kind;
    char id[72];
    lodge_guest_state_t state;
    cJSON *config;                 /* the create request as accepted (defaults filled in) */
    long long created_at, started_at, ended_at; /* Unix seconds; 0: not yet */
    uint64_t charged;              /* bytes admission control counts while created, running or paused */
    uint64_t cpus;                 /* machines: harts */
    char error[512];               /* why it crashed, or the trap */
    /* machines */
    int pid;                       /* the machine process, 0 when gone */
    unsigned long long pid_start;  /* its start time (/proc/PID/stat field 22): a reused pid is not it */
    bool is_child;                 /* started by this daemon (waitpid works), not found after a restart */
    char death[96];
    char jail[1024];               /* what the machine process's jail holds and lacks (JailChild.report) */                /* how our child ended ("killed by signal 9"), when waitpid told us */
    char api_sock[108], console_sock[108];
    char exit_reason[16];          /* poweroff, reboot, fail, stopped, halted, killed, crashed */
    unsigned fail_code;
    bool kill_requested;
    long long stop_deadline_ms;    /* wall clock: a graceful stop becomes a kill then; 0: none */
    lodge_machine_stats_t stats;   /* the last known */
    uint64_t proc_cpu_ns, proc_rss;
    /* instances */
    char module[72];
    int exit_code;
    InstanceStatus inst;           /* the last known */
} Guest;

typedef struct Module {
    char id[72];
    char sha256[65];
    uint64_t size;
    long long created_at;
    cJSON *info;                   /* imports and exports, as answered */
} Module;

typedef struct Daemon {
    pthread_mutex_t lock;          /* guests, modules, counters: the API thread and the pool's thread */
    char state_dir[4096];
    char run_dir[4096];            /* next to the API socket: the machines' sockets */
    char socket_path[4096];
    char lodged_path[4096];
    HttpServer *server;
    bool jail;                     /* start machine processes jailed (--jail on|off) */
    struct JailCgroups *cgroups;   /* the machines' parent group (jail.h); NULL without the jail */
    WorkerPool *pool;
    char pool_error[256];          /* why instances cannot run, when pool is NULL */
    pthread_mutex_t evlock;        /* the pool's events, queued by its thread, applied by the API thread */
    InstanceStatus *evq;
    size_t nev, capev;
    Guest **guests;                /* oldest first, as listed */
    size_t nguests, capguests;
    Guest **index;                 /* open addressing by kind and id (guests.c): lookups stay O(1) */
    size_t index_cap, index_used;  /* slots, and slots used or tombstoned */
    uint64_t allocated[2];         /* charged by created, running and paused guests, by kind */
    Module **modules;
    size_t nmodules, capmodules;
    double overcommit;
    uint64_t machine_overhead;     /* charged per machine beyond its RAM */
    uint64_t instance_default_memory;
    unsigned host_cpus;
    uint64_t host_memory;
    long long started_at;
    unsigned long long admission_refusals, crashes[2];
} Daemon;

/* guests.c: the registry and its files in the state directory */
Guest *guests_find(Daemon *d, GuestKind kind, const char *id);
bool guests_add(Daemon *d, Guest *g);
void guests_remove(Daemon *d, Guest *g); /* forgets and frees it, and removes its files */
void guests_free(Guest *g);
bool guests_save(Daemon *d, Guest *g);   /* write-to-temp then rename */
void guests_load_all(Daemon *d);
cJSON *guests_json(const Guest *g);
const char *guests_kind_name(GuestKind kind);
/* Where a guest's files live: state_dir/machines/ID or state_dir/instances/ID (no trailing slash). */
void guests_dir(const Daemon *d, const Guest *g, char *out, size_t len);
/* A guest's state changes: timestamps, counters, and the record saved. */
void guests_set_state(Daemon *d, Guest *g, lodge_guest_state_t state);
/* A new id: prefix + 8 hex digits, free in this kind. */
void guests_new_id(Daemon *d, GuestKind kind, const char *prefix, char *out, size_t len);

/* host.c: capacity and admission control */
uint64_t host_allocated(const Daemon *d, GuestKind kind); /* charged by created, running and paused guests */
uint64_t host_budget(const Daemon *d);
/* Would charging `bytes` more fit? If not: a 409 naming the figures, and false. */
bool host_admit(Daemon *d, const char *what, uint64_t bytes, HttpResponse *r);
void host_handle(Daemon *d, const HttpRequest *req, HttpResponse *r);     /* GET /v1/host */
void host_metrics(Daemon *d, const HttpRequest *req, HttpResponse *r);    /* GET /metrics */
uint64_t host_memory_available(void);

/* api_machines.c, api_wasm.c: the collections */
void api_machines(Daemon *d, const HttpRequest *req, HttpResponse *r, const char *rest);
void api_modules(Daemon *d, const HttpRequest *req, HttpResponse *r, const char *rest);
void api_instances(Daemon *d, const HttpRequest *req, HttpResponse *r, const char *rest);
/* The HttpHandler of the daemon's socket (api.c): takes the lock and routes. */
void api_handle(void *opaque, const HttpRequest *req, HttpResponse *r);
/* Modules recorded in the state directory (api_wasm.c). */
void api_modules_load(Daemon *d);
/* api_machines.c's checks and its call to a machine's API, shared with api_patch.c. */
bool api_check_rate_limiter(const cJSON *o, const char *name, const char *where, HttpResponse *r);
bool api_check_limits(const cJSON *limits, HttpResponse *r);
/* One call to the machine's API that must answer 2xx; takes body. Else a fault in r (400: refused). */
bool api_machine_call(Guest *g, const char *method, const char *path, cJSON *body, HttpResponse *r);
/* PATCH /v1/machines/{id}: CPU shares and I/O rate limits, changed while the machine runs. */
void api_machines_patch(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r);
/* The periodic work: machine processes that ended, graceful stops past their deadline. */
void api_machines_tick(Daemon *d);
/* After a restart: each machine's process looked at again. */
void api_machines_recover(Daemon *d);
void api_instances_event(void *opaque, const InstanceStatus *st);
/* Apply the queued events of the pool (with the daemon's lock held). */
void api_instances_drain(Daemon *d);
void api_instances_recover(Daemon *d);
/* Common pieces of the routes. */
/* Every query parameter is one of allowed (NULL-terminated); else a 400 naming it. */
bool api_query_only(const HttpRequest *req, const char *const *allowed, HttpResponse *r);
bool api_query_bool(const HttpRequest *req, const char *name, bool *out, HttpResponse *r);
bool api_query_uint(const HttpRequest *req, const char *name, uint64_t *out, bool *present, HttpResponse *r);
/* GET .../logs: the file's bytes (the last `tail`), or a stream that follows it while the guest lives. */
void api_logs(Daemon *d, Guest *g, const char *path, const HttpRequest *req, HttpResponse *r);
/* Parse {"action": ..., "timeout_s": ...}. */
typedef enum GuestAction { ACT_START, ACT_PAUSE, ACT_RESUME, ACT_STOP, ACT_KILL } GuestAction;
bool api_parse_action(const HttpRequest *req, GuestAction *act, uint64_t *timeout_s, HttpResponse *r);
/* A guest collection's path after its prefix ("", "/ID" or "/ID/SUB", SUB one of subs, which holds ""):
 * GET "" lists the kind, POST "" calls create; otherwise *g and *sub are set and true is returned for the
 * caller to serve. False when the request was answered here (the list, a create, a 404 or a 405). */
bool api_collection(Daemon *d, GuestKind kind, const HttpRequest *req, HttpResponse *r, const char *rest,
                    const char *const *subs, size_t nsubs,
                    void (*create)(Daemon *, const HttpRequest *, HttpResponse *), Guest **g, const char **sub);
bool api_state_allows(const Guest *g, GuestAction act, HttpResponse *r);
long long api_now(void);       /* Unix seconds */
long long api_now_ms(void);    /* Unix milliseconds */

#endif
