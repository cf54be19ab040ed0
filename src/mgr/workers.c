/* workers.c: the daemon's pool of worker processes (mgr/workers.h). Each worker is `lodged worker
 * --socket state_dir/workers/wN.sock`, started in a session of its own so it outlives the daemon; the pool
 * holds two connections to each (control: request/reply; events: the worker's state changes, whose end
 * means the worker died) and a pidfd (death without a hang-up, and a signal that cannot hit a reused pid).
 * A daemon that restarts finds the sockets and reconnects. Protocol: mgr/wproto.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgr/jail.h"
#include "mgr/workers.h"
#include "mgr/wproto.h"

#define RPC_TIMEOUT_MS 30000
#define START_TIMEOUT_MS 5000

typedef struct PWorker {
    unsigned idx;
    pid_t pid;
    int pidfd;
    bool child;           /* this pool started it: waitpid() tells how it ended */
    int ctl, ev;          /* -1 while down */
    unsigned gen;         /* bumped at each death: a create that raced with one is crashed at once */
    pthread_mutex_t ctl_mu;
    char sock[108];
    size_t ninst;
    time_t last_start;
    char jail[1024];      /* what the jail put in force (its report) */
} PWorker;

typedef struct PInst {
    struct PInst *next;
    int worker;           /* -1: its worker died; st holds the CRASHED record */
    InstanceStatus st;
} PInst;

struct WorkerPool {
    char *lodged, *dir;
    unsigned n;
    PWorker *w;
    WorkerEventFn fn;
    void *opaque;
    pthread_mutex_t mu;   /* the map and each worker's fields other than the control connection's use */
    PInst **buckets;
    size_t nbuckets, count;
    pthread_t thread;
    bool thread_started;
    int wake[2];
    WorkersOptions opt;
    unsigned cpus;
};

/* ---- The map: id -> worker ---- */

static size_t hash_id(const char *id)
{
    size_t h = 1469598103934665603ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return h;
}

static PInst *map_find(WorkerPool *p, const char *id)
{
    for (PInst *e = p->buckets[hash_id(id) & (p->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->st.id, id) == 0)
            return e;
    return NULL;
}

static PInst *map_put(WorkerPool *p, const char *id, int worker)
{
    PInst *e = map_find(p, id);
    if (e) {
        if (e->worker >= 0)
            p->w[e->worker].ninst--;
    } else {
        if (p->count + 1 > p->nbuckets) {
            size_t nb = p->nbuckets * 2;
            PInst **b = calloc(nb, sizeof *b);
            if (!b)
                return NULL;
            for (size_t i = 0; i < p->nbuckets; i++)
                for (PInst *x = p->buckets[i], *n; x; x = n) {
                    n = x->next;
                    x->next = b[hash_id(x->st.id) & (nb - 1)];
                    b[hash_id(x->st.id) & (nb - 1)] = x;
                }
            free(p->buckets);
            p->buckets = b;
            p->nbuckets = nb;
        }
        if (!(e = calloc(1, sizeof *e)))
            return NULL;
        snprintf(e->st.id, sizeof e->st.id, "%s", id);
        size_t i = hash_id(id) & (p->nbuckets - 1);
        e->next = p->buckets[i];
        p->buckets[i] = e;
        p->count++;
    }
    e->worker = worker;
    if (worker >= 0)
        p->w[worker].ninst++;
    return e;
}

static void map_del(WorkerPool *p, const char *id)
{
    for (PInst **pp = &p->buckets[hash_id(id) & (p->nbuckets - 1)]; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->st.id, id) == 0) {
            PInst *e = *pp;
            *pp = e->next;
            if (e->worker >= 0)
                p->w[e->worker].ninst--;
            free(e);
            p->count--;
            return;
        }
}

/* ---- Connecting and starting workers ---- */

static int connect_to(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Connects with the given role; returns the fd and the worker's pid, or -1. */
static int hello(const char *path, const char *role, pid_t *pid, char *err, size_t errlen)
{
    int fd = connect_to(path);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
        return -1;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "hello");
    cJSON_AddStringToObject(req, "role", role);
    bool sent = wproto_send(fd, req);
    cJSON_Delete(req);
    cJSON *rep = sent ? wproto_recv(fd, WPROTO_MAX_REPLY, RPC_TIMEOUT_MS, err, errlen) : NULL;
    if (!sent)
        snprintf(err, errlen, "cannot write to %s: %s", path, strerror(errno));
    bool ok = rep && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok"));
    if (rep && !ok)
        snprintf(err, errlen, "worker at %s refused the connection", path);
    if (ok && pid)
        *pid = (pid_t)wproto_num(rep, "pid", 0);
    cJSON_Delete(rep);
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Without the jail (WorkersOptions.no_jail): a plain child in a session of its own, stdio to its log. */
static pid_t spawn_plain(WorkerPool *p, PWorker *w, char *const argv[], int logfd, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        syscall(SYS_close_range, 3u, ~0u, 0u);
        execv(p->lodged, argv);
        _exit(127);
    }
    (void)w;
    return pid;
}

/* Starts worker w in a jail (mgr/jail.h): namespaces, a private root holding only the lodged program, its
 * libraries and the workers' directory (for the sockets), rlimits, seccomp per thread kind inside. The
 * jail makes it a detached child: a session of its own, it outlives the daemon. */
static pid_t spawn(WorkerPool *p, PWorker *w, char *err, size_t errlen)
{
    char log[sizeof w->sock + 8], name[32];
    snprintf(log, sizeof log, "%s/w%u.log", p->dir, w->idx);
    snprintf(name, sizeof name, "worker-%u", w->idx);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (logfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", log, strerror(errno));
        return -1;
    }
    char threads[16];
    snprintf(threads, sizeof threads, "%u", p->opt.threads ? p->opt.threads : p->cpus);
    char *argv[] = {"lodged", "worker", "--socket", w->sock, "--threads", threads, "--seccomp", NULL};
    if (p->opt.no_jail) {
        argv[6] = NULL; /* no seccomp either: a host without the jail is being debugged */
        pid_t pid = spawn_plain(p, w, argv, logfd, err, errlen);
        close(logfd);
        pthread_mutex_lock(&p->mu);
        snprintf(w->jail, sizeof w->jail, "none: started without the jail (no_jail)");
        pthread_mutex_unlock(&p->mu);
        return pid;
    }
    JailBind binds[] = {{.src = p->dir, .flags = JAIL_BIND_RW}};
    /* Descriptors: thousands of instances share few output files, but each create brings some. */
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_NOFILE, &rl);
    JailSpec js = {
        .name = name, .exe = p->lodged, .binds = binds, .nbinds = 1, .proc = true, /* /proc/self/fd for preopens */
        .stdio_set = true, .stdio = {-1, logfd, logfd},
        .rlimits = {.nofile = rl.rlim_max == RLIM_INFINITY ? 1u << 20 : rl.rlim_max, .as = p->opt.max_address_space},
        .cgroups = p->opt.cgroups,
        .limits = {.cpu_weight = p->opt.cpu_weight, .cpu_max_pct = p->opt.cpu_max_pct, .mem_max = p->opt.mem_max},
    };
    JailChild jc;
    memset(&jc, 0, sizeof jc);
    bool ok = jail_spawn(&js, argv, &jc, err, errlen);
    close(logfd);
    if (!ok)
        return -1;
    pthread_mutex_lock(&p->mu);
    size_t n = strnlen(jc.report, sizeof jc.report); /* truncated if the jail's report ever outgrows ours */
    n = n < sizeof w->jail - 1 ? n : sizeof w->jail - 1;
    memcpy(w->jail, jc.report, n);
    w->jail[n] = 0;
    pthread_mutex_unlock(&p->mu);
    return jc.pid;
}

/* The worker's pid as this process sees it (a jailed worker is PID 1 of its own namespace). */
static pid_t peer_pid(int fd)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 ? cr.pid : 0;
}

static int pidfd_of(pid_t pid)
{
    return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* Brings worker w up: reconnects to a running one, or starts a new one. Called with w's control lock. */
static bool worker_up(WorkerPool *p, PWorker *w, bool may_reconnect, char *err, size_t errlen)
{
    pid_t pid = 0;
    int ctl = may_reconnect ? hello(w->sock, "control", &pid, err, errlen) : -1;
    bool child = false;
    if (ctl < 0) {
        w->last_start = time(NULL);
        pid = spawn(p, w, err, errlen);
        if (pid < 0)
            return false;
        child = true;
        for (int waited = 0; ctl < 0; waited += 10) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                snprintf(err, errlen, "worker %u exited at start (status %d); see %s/w%u.log", w->idx,
                         WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), p->dir, w->idx);
                return false;
            }
            if (waited >= START_TIMEOUT_MS) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                snprintf(err, errlen, "worker %u did not answer within %d ms", w->idx, START_TIMEOUT_MS);
                return false;
            }
            usleep(10000);
            ctl = hello(w->sock, "control", NULL, err, errlen);
        }
    } else {
        pid = peer_pid(ctl);
        pthread_mutex_lock(&p->mu);
        snprintf(w->jail, sizeof w->jail, "reconnected: see the report of the daemon that started it");
        pthread_mutex_unlock(&p->mu);
    }
    int pidfd = pidfd_of(pid);
    int ev = hello(w->sock, "events", NULL, err, errlen);
    if (ev < 0) {
        close(ctl);
        if (pidfd >= 0)
            close(pidfd);
        return false;
    }
    pthread_mutex_lock(&p->mu);
    w->ctl = ctl;
    w->ev = ev;
    w->pid = pid;
    w->pidfd = pidfd;
    w->child = child;
    pthread_mutex_unlock(&p->mu);
    return true;
}

/* ---- Requests ---- */

/* One request on worker k's control connection, with descriptors; the reply, or NULL with err (and *full
 * when the worker said it has no room: another worker may). */
static cJSON *rpc_fds(WorkerPool *p, unsigned k, cJSON *req, const int *fds, size_t nfds, bool *full, char *err,
                      size_t errlen)
{
    PWorker *w = &p->w[k];
    pthread_mutex_lock(&w->ctl_mu);
    cJSON *rep = NULL;
    if (w->ctl < 0) {
        snprintf(err, errlen, "worker %u is down", k);
    } else if (!wproto_send_fds(w->ctl, req, fds, nfds)) {
        snprintf(err, errlen, "worker %u: %s", k, strerror(errno));
    } else {
        char why[200];
        rep = wproto_recv(w->ctl, WPROTO_MAX_REPLY, RPC_TIMEOUT_MS, why, sizeof why);
        if (!rep)
            snprintf(err, errlen, "worker %u: %s", k, why);
    }
    if (!rep && w->ctl >= 0) {
        /* The stream is out of step or gone: the pool's thread restarts the worker if it died. */
        shutdown(w->ctl, SHUT_RDWR);
    }
    pthread_mutex_unlock(&w->ctl_mu);
    cJSON_Delete(req);
    if (rep && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok"))) {
        const char *e = wproto_str(rep, "error");
        snprintf(err, errlen, "%s", e ? e : "the worker refused");
        if (full)
            *full = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "full"));
        cJSON_Delete(rep);
        rep = NULL;
    }
    return rep;
}

static cJSON *rpc(WorkerPool *p, unsigned k, cJSON *req, char *err, size_t errlen)
{
    return rpc_fds(p, k, req, NULL, 0, NULL, err, errlen);
}

static cJSON *op_msg(const char *op, const char *id)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", op);
    if (id)
        cJSON_AddStringToObject(req, "id", id);
    return req;
}

static cJSON *spec_json(const InstanceSpec *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "module", s->module_path);
    cJSON *a = cJSON_AddArrayToObject(o, "argv");
    for (int i = 0; i < s->argc; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s->argv[i]));
    a = cJSON_AddArrayToObject(o, "env");
    for (int i = 0; i < s->envc; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s->env[i]));
    a = cJSON_AddArrayToObject(o, "dirs");
    for (int i = 0; i < s->ndirs; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "host", s->dirs[i].host_path);
        if (s->dirs[i].guest_path)
            cJSON_AddStringToObject(d, "guest", s->dirs[i].guest_path);
        cJSON_AddBoolToObject(d, "ro", s->dirs[i].read_only);
        cJSON_AddItemToArray(a, d);
    }
    cJSON_AddNumberToObject(o, "max_memory", (double)s->max_memory);
    cJSON_AddNumberToObject(o, "fuel", (double)s->fuel);
    cJSON_AddNumberToObject(o, "cpu_weight", s->cpu_weight ? s->cpu_weight : 100);
    if (s->stdout_path)
        cJSON_AddStringToObject(o, "stdout", s->stdout_path);
    if (s->stderr_path)
        cJSON_AddStringToObject(o, "stderr", s->stderr_path);
    if (s->start)
        cJSON_AddBoolToObject(o, "start", true);
    return o;
}

/* The daemon opens what the instance may touch and hands the descriptors over: its worker is jailed
 * without the daemon's files. Adds "fds" to req. */
static bool open_files(const InstanceSpec *s, cJSON *req, int *fds, size_t *nfds, char *err, size_t errlen)
{
    if (s->ndirs < 0 || (size_t)s->ndirs + 3 > WPROTO_MAX_FDS) {
        snprintf(err, errlen, "at most %d preopened directories", WPROTO_MAX_FDS - 3);
        return false;
    }
    cJSON *map = cJSON_AddObjectToObject(req, "fds");
    struct {
        const char *name, *path;
        int flags;
    } files[] = {
        {"module", s->module_path, O_RDONLY},
        {"stdout", s->stdout_path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY},
        {"stderr", s->stderr_path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY},
    };
    for (size_t i = 0; i < 3; i++) {
        if (!files[i].path)
            continue;
        int fd = open(files[i].path, files[i].flags | O_CLOEXEC, 0640);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open %s %s: %s", i ? "output file" : "module", files[i].path, strerror(errno));
            return false;
        }
        cJSON_AddNumberToObject(map, files[i].name, (double)*nfds);
        fds[(*nfds)++] = fd;
    }
    cJSON *dirs = cJSON_AddArrayToObject(map, "dirs");
    for (int i = 0; i < s->ndirs; i++) {
        int fd = s->dirs[i].host_path ? open(s->dirs[i].host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (fd < 0) {
            snprintf(err, errlen, "cannot open directory %s: %s", s->dirs[i].host_path ? s->dirs[i].host_path : "(none)",
                     strerror(errno));
            return false;
        }
        cJSON_AddItemToArray(dirs, cJSON_CreateNumber((double)*nfds));
        fds[(*nfds)++] = fd;
    }
    return true;
}

bool workers_create(WorkerPool *p, const InstanceSpec *spec, char *err, size_t errlen)
{
    if (!spec || !wproto_valid_id(spec->id) || !spec->module_path) {
        snprintf(err, errlen, "an instance needs an id of 1 to 64 of [A-Za-z0-9_.-] and a module");
        return false;
    }
    if (spec->cpu_weight > 10000) {
        snprintf(err, errlen, "cpu_weight must be 1..10000");
        return false;
    }
    pthread_mutex_lock(&p->mu);
    bool taken = map_find(p, spec->id) != NULL;
    pthread_mutex_unlock(&p->mu);
    if (taken) {
        snprintf(err, errlen, "instance '%s' exists", spec->id);
        return false;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "create");
    cJSON_AddItemToObject(req, "spec", spec_json(spec));
    int fds[WPROTO_MAX_FDS];
    size_t nfds = 0;
    bool opened = open_files(spec, req, fds, &nfds, err, errlen), created = false;
    bool *tried = calloc(p->n, sizeof *tried);
    /* The least loaded live worker; another one if that one is full (its address space or memory). */
    for (unsigned attempt = 0; opened && tried && attempt < p->n; attempt++) {
        pthread_mutex_lock(&p->mu);
        bool exists = map_find(p, spec->id) != NULL;
        int best = -1;
        for (unsigned k = 0; k < p->n; k++)
            if (!tried[k] && p->w[k].ctl >= 0 && (best < 0 || p->w[k].ninst < p->w[best].ninst))
                best = (int)k;
        unsigned gen = best >= 0 ? p->w[best].gen : 0;
        if (!exists && best >= 0)
            map_put(p, spec->id, best)->st.state = LODGE_STATE_CREATED; /* reserves the id and the place */
        pthread_mutex_unlock(&p->mu);
        if (exists || best < 0) {
            if (exists || attempt == 0)
                snprintf(err, errlen, exists ? "instance '%s' exists" : "no worker is up to host '%s'", spec->id);
            break;
        }
        tried[best] = true;
        bool full = false;
        cJSON *rep = rpc_fds(p, (unsigned)best, cJSON_Duplicate(req, true), fds, nfds, &full, err, errlen);
        pthread_mutex_lock(&p->mu);
        PInst *e = map_find(p, spec->id);
        bool raced = rep && p->w[best].gen != gen; /* its worker died since: it is gone already */
        if (!rep || raced) {
            map_del(p, spec->id);
            if (raced)
                snprintf(err, errlen, "worker %d died while creating '%s'", best, spec->id);
        } else if (e) {
            wproto_status_parse(cJSON_GetObjectItemCaseSensitive(rep, "status"), &e->st);
        }
        if (rep && !raced) {
            const char *why = wproto_str(rep, "start_error");
            snprintf(err, errlen, "%s", why ? why : "");
        }
        pthread_mutex_unlock(&p->mu);
        created = rep && !raced;
        cJSON_Delete(rep);
        if (created || !full)
            break;
    }
    if (!tried)
        snprintf(err, errlen, "out of memory");
    free(tried);
    cJSON_Delete(req);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    return created;
}

/* Sends op for id to its worker; fills out (may be NULL) from the reply. */
static bool by_id(WorkerPool *p, const char *op, const char *id, InstanceStatus *out, char *err, size_t errlen)
{
    if (!id) {
        snprintf(err, errlen, "no instance id");
        return false;
    }
    pthread_mutex_lock(&p->mu);
    PInst *e = map_find(p, id);
    int k = e ? e->worker : -2;
    InstanceStatus crashed;
    if (e && k < 0)
        crashed = e->st;
    if (e && k < 0 && strcmp(op, "remove") == 0)
        map_del(p, id);
    pthread_mutex_unlock(&p->mu);
    if (k == -2) {
        snprintf(err, errlen, "no instance '%s'", id);
        return false;
    }
    if (k < 0) {
        if (strcmp(op, "status") == 0 || strcmp(op, "remove") == 0) {
            if (out)
                *out = crashed;
            return true;
        }
        snprintf(err, errlen, "instance %s has crashed: %s", id, crashed.error);
        return false;
    }
    cJSON *rep = rpc(p, (unsigned)k, op_msg(op, id), err, errlen);
    if (!rep)
        return false;
    InstanceStatus st;
    bool ok = wproto_status_parse(cJSON_GetObjectItemCaseSensitive(rep, "status"), &st);
    cJSON_Delete(rep);
    pthread_mutex_lock(&p->mu);
    if (strcmp(op, "remove") == 0)
        map_del(p, id);
    else if (ok && (e = map_find(p, id)) && e->worker == k)
        e->st = st;
    pthread_mutex_unlock(&p->mu);
    if (out && ok)
        *out = st;
    return true;
}

bool workers_start(WorkerPool *p, const char *id, char *err, size_t errlen)
{
    return by_id(p, "start", id, NULL, err, errlen);
}

bool workers_pause(WorkerPool *p, const char *id, char *err, size_t errlen)
{
    return by_id(p, "pause", id, NULL, err, errlen);
}

bool workers_resume(WorkerPool *p, const char *id, char *err, size_t errlen)
{
    return by_id(p, "resume", id, NULL, err, errlen);
}

bool workers_stop(WorkerPool *p, const char *id, char *err, size_t errlen)
{
    return by_id(p, "stop", id, NULL, err, errlen);
}

bool workers_kill(WorkerPool *p, const char *id, char *err, size_t errlen)
{
    return by_id(p, "kill", id, NULL, err, errlen);
}

bool workers_remove(WorkerPool *p, const char *id, char *err, size_t errlen)
{
    return by_id(p, "remove", id, NULL, err, errlen);
}

bool workers_status(WorkerPool *p, const char *id, InstanceStatus *out)
{
    char err[256];
    return by_id(p, "status", id, out, err, sizeof err);
}

/* Asks worker k for its instances; adds those the map lacks (after a daemon restart). */
static size_t list_worker(WorkerPool *p, unsigned k, InstanceStatus *out, size_t max)
{
    char err[256];
    cJSON *rep = rpc(p, k, op_msg("list", NULL), err, sizeof err);
    size_t n = 0;
    const cJSON *x, *all = rep ? cJSON_GetObjectItemCaseSensitive(rep, "instances") : NULL;
    cJSON_ArrayForEach(x, all) {
        InstanceStatus st;
        if (!wproto_status_parse(x, &st))
            continue;
        pthread_mutex_lock(&p->mu);
        PInst *e = map_find(p, st.id);
        if (!e || e->worker != (int)k)
            e = map_put(p, st.id, (int)k);
        if (e)
            e->st = st;
        pthread_mutex_unlock(&p->mu);
        if (out && n < max)
            out[n] = st;
        n++;
    }
    cJSON_Delete(rep);
    return n < max || !out ? n : max;
}

size_t workers_list(WorkerPool *p, InstanceStatus *out, size_t max)
{
    size_t n = 0;
    for (unsigned k = 0; k < p->n; k++)
        n += list_worker(p, k, out ? out + n : NULL, out ? max - n : 0);
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nbuckets; i++)
        for (PInst *e = p->buckets[i]; e; e = e->next)
            if (e->worker < 0 && (!out || n < max)) {
                if (out)
                    out[n] = e->st;
                n++;
            }
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* ---- The pool's thread: events, deaths, restarts ---- */

static void describe_end(PWorker *w, char *why, size_t len)
{
    int st = 0;
    pid_t got = w->child ? waitpid(w->pid, &st, 0) : -1;
    if (got == w->pid && WIFSIGNALED(st))
        snprintf(why, len, "worker %u (pid %d) was killed by signal %d (%s)", w->idx, (int)w->pid, WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else if (got == w->pid)
        snprintf(why, len, "worker %u (pid %d) exited with status %d", w->idx, (int)w->pid, WEXITSTATUS(st));
    else
        snprintf(why, len, "worker %u (pid %d) ended", w->idx, (int)w->pid);
}

/* Worker k died (its events connection ended or its pidfd fired): its instances are CRASHED, reported
 * through the callback; then a new worker takes its place. */
static void on_death(WorkerPool *p, unsigned k)
{
    PWorker *w = &p->w[k];
    /* Make sure it is gone (a worker that hung up but lives would hold its guests' CPU). */
    if (w->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
    char why[200];
    describe_end(w, why, sizeof why);
    pthread_mutex_lock(&w->ctl_mu);
    pthread_mutex_lock(&p->mu);
    if (w->ctl >= 0)
        close(w->ctl);
    if (w->ev >= 0)
        close(w->ev);
    if (w->pidfd >= 0)
        close(w->pidfd);
    w->ctl = w->ev = w->pidfd = -1;
    w->gen++;
    size_t n = 0, cap = w->ninst;
    InstanceStatus *lost = cap ? calloc(cap, sizeof *lost) : NULL;
    for (size_t i = 0; i < p->nbuckets; i++)
        for (PInst *e = p->buckets[i]; e; e = e->next) {
            if (e->worker != (int)k)
                continue;
            e->worker = -1;
            w->ninst--;
            /* Instances that had already ended keep their record; the others crashed with the worker. */
            if (e->st.state != LODGE_STATE_STOPPED) {
                e->st.state = LODGE_STATE_CRASHED;
                snprintf(e->st.error, sizeof e->st.error, "%s", why);
            }
            if (lost && n < cap)
                lost[n++] = e->st;
        }
    pthread_mutex_unlock(&p->mu);
    fprintf(stderr, "lodged: %s; %zu instance(s) lost; restarting it\n", why, n);
    char err[256];
    if (!worker_up(p, w, false, err, sizeof err))
        fprintf(stderr, "lodged: cannot restart worker %u: %s (retrying)\n", k, err);
    pthread_mutex_unlock(&w->ctl_mu);
    for (size_t i = 0; i < n; i++)
        if (p->fn && lost[i].state == LODGE_STATE_CRASHED)
            p->fn(p->opaque, &lost[i]);
    free(lost);
}

static void on_event(WorkerPool *p, unsigned k, const cJSON *msg)
{
    InstanceStatus st;
    if (!wproto_status_parse(cJSON_GetObjectItemCaseSensitive(msg, "status"), &st))
        return;
    pthread_mutex_lock(&p->mu);
    PInst *e = map_find(p, st.id);
    bool ours = e && e->worker == (int)k;
    if (ours)
        e->st = st;
    pthread_mutex_unlock(&p->mu);
    if (ours && p->fn)
        p->fn(p->opaque, &st);
}

static void *pool_main(void *arg)
{
    WorkerPool *p = arg;
    struct pollfd *pf = calloc(2 * (size_t)p->n + 1, sizeof *pf);
    unsigned *who = calloc(2 * (size_t)p->n + 1, sizeof *who), *gen = calloc(2 * (size_t)p->n + 1, sizeof *gen);
    if (!pf || !who || !gen) {
        free(pf);
        free(who);
        free(gen);
        return NULL;
    }
    for (;;) {
        size_t n = 0;
        pf[n++] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
        bool down = false;
        pthread_mutex_lock(&p->mu);
        for (unsigned k = 0; k < p->n; k++) {
            if (p->w[k].ev < 0) {
                down = true;
                continue;
            }
            who[n] = k;
            gen[n] = p->w[k].gen;
            pf[n++] = (struct pollfd){.fd = p->w[k].ev, .events = POLLIN};
            if (p->w[k].pidfd >= 0) {
                who[n] = k;
                gen[n] = p->w[k].gen;
                pf[n++] = (struct pollfd){.fd = p->w[k].pidfd, .events = POLLIN};
            }
        }
        pthread_mutex_unlock(&p->mu);
        /* A worker that could not be restarted is retried every second. */
        int r = poll(pf, n, down ? 1000 : -1);
        if (r < 0 && errno != EINTR)
            break;
        if (pf[0].revents)
            break;
        for (unsigned k = 0; down && k < p->n; k++)
            if (p->w[k].ev < 0 && time(NULL) > p->w[k].last_start) {
                char err[256];
                pthread_mutex_lock(&p->w[k].ctl_mu);
                if (!worker_up(p, &p->w[k], true, err, sizeof err))
                    fprintf(stderr, "lodged: cannot restart worker %u: %s (retrying)\n", k, err);
                pthread_mutex_unlock(&p->w[k].ctl_mu);
            }
        for (size_t i = 1; i < n; i++) {
            if (!pf[i].revents)
                continue;
            unsigned k = who[i];
            if (gen[i] != p->w[k].gen)
                continue; /* died and restarted in this round already (its new fds may reuse the numbers) */
            cJSON *msg = NULL;
            char err[200];
            if (pf[i].fd == p->w[k].ev && !(pf[i].revents & (POLLERR | POLLNVAL)))
                msg = wproto_recv(pf[i].fd, WPROTO_MAX_REPLY, 5000, err, sizeof err);
            if (msg)
                on_event(p, k, msg);
            else
                on_death(p, k);
            cJSON_Delete(msg);
        }
    }
    free(pf);
    free(who);
    free(gen);
    return NULL;
}

WorkerPool *workers_new(const char *lodged_path, const char *state_dir, unsigned nworkers, WorkerEventFn fn,
                        void *opaque, char *err, size_t errlen)
{
    return workers_new_opts(lodged_path, state_dir, nworkers, NULL, fn, opaque, err, errlen);
}

WorkerPool *workers_new_opts(const char *lodged_path, const char *state_dir, unsigned nworkers,
                             const WorkersOptions *opt, WorkerEventFn fn, void *opaque, char *err, size_t errlen)
{
    if (!lodged_path || !state_dir || nworkers == 0 || nworkers > 256) {
        snprintf(err, errlen, "the pool needs the lodged program, a state directory and 1..256 workers");
        return NULL;
    }
    WorkerPool *p = calloc(1, sizeof *p);
    if (!p || !(p->w = calloc(nworkers, sizeof *p->w)) || !(p->buckets = calloc(1024, sizeof *p->buckets)) ||
        !(p->lodged = realpath(lodged_path, NULL)) || asprintf(&p->dir, "%s/workers", state_dir) < 0) {
        snprintf(err, errlen, p && p->w && p->buckets && !p->lodged ? "cannot find %s" : "out of memory", lodged_path);
        if (p) {
            free(p->w);
            free(p->buckets);
            free(p->lodged);
            free(p);
        }
        return NULL;
    }
    p->nbuckets = 1024;
    p->n = nworkers;
    if (opt)
        p->opt = *opt;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p->cpus = cpus > 0 && cpus < 256 ? (unsigned)cpus : 1;
    p->fn = fn;
    p->opaque = opaque;
    p->wake[0] = p->wake[1] = -1;
    pthread_mutex_init(&p->mu, NULL);
    for (unsigned k = 0; k < nworkers; k++) {
        PWorker *w = &p->w[k];
        w->idx = k;
        w->ctl = w->ev = w->pidfd = -1;
        pthread_mutex_init(&w->ctl_mu, NULL);
        snprintf(w->sock, sizeof w->sock, "%s/w%u.sock", p->dir, k);
    }
    if ((mkdir(p->dir, 0700) != 0 && errno != EEXIST) || strlen(p->dir) + 16 >= sizeof p->w[0].sock) {
        snprintf(err, errlen, "cannot use %s: %s", p->dir, errno ? strerror(errno) : "path too long");
        workers_delete(p);
        return NULL;
    }
    for (unsigned k = 0; k < nworkers; k++) {
        pthread_mutex_lock(&p->w[k].ctl_mu);
        bool up = worker_up(p, &p->w[k], true, err, errlen);
        pthread_mutex_unlock(&p->w[k].ctl_mu);
        if (!up) {
            workers_delete(p);
            return NULL;
        }
        list_worker(p, k, NULL, 0); /* a restarted daemon learns what each worker still runs */
    }
    if (pipe2(p->wake, O_CLOEXEC) != 0 || pthread_create(&p->thread, NULL, pool_main, p) != 0) {
        snprintf(err, errlen, "cannot start the pool's thread");
        workers_delete(p);
        return NULL;
    }
    p->thread_started = true;
    return p;
}

void workers_delete(WorkerPool *p)
{
    if (!p)
        return;
    if (p->thread_started) {
        ssize_t ignored = write(p->wake[1], "x", 1);
        (void)ignored;
        pthread_join(p->thread, NULL);
    }
    for (unsigned k = 0; k < p->n; k++) {
        PWorker *w = &p->w[k];
        if (w->ctl >= 0)
            close(w->ctl);
        if (w->ev >= 0)
            close(w->ev);
        if (w->pidfd >= 0)
            close(w->pidfd);
        pthread_mutex_destroy(&w->ctl_mu);
    }
    for (size_t i = 0; i < p->nbuckets; i++)
        for (PInst *e = p->buckets[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    if (p->wake[0] >= 0) {
        close(p->wake[0]);
        close(p->wake[1]);
    }
    pthread_mutex_destroy(&p->mu);
    free(p->buckets);
    free(p->w);
    free(p->lodged);
    free(p->dir);
    free(p);
}

void workers_shutdown(WorkerPool *p)
{
    if (!p)
        return;
    /* The pool's thread first, so the workers' ends are not taken for crashes. */
    if (p->thread_started) {
        ssize_t ignored = write(p->wake[1], "x", 1);
        (void)ignored;
        pthread_join(p->thread, NULL);
        p->thread_started = false;
    }
    for (unsigned k = 0; k < p->n; k++) {
        char err[256];
        cJSON *rep = rpc(p, k, op_msg("shutdown", NULL), err, sizeof err);
        cJSON_Delete(rep);
        if (p->w[k].child) {
            waitpid(p->w[k].pid, NULL, 0);
        } else if (p->w[k].pidfd >= 0) {
            struct pollfd pf = {.fd = p->w[k].pidfd, .events = POLLIN};
            poll(&pf, 1, 5000); /* readable once the process has ended */
        }
    }
    workers_delete(p);
}

bool workers_info(WorkerPool *p, unsigned k, WorkerInfo *out)
{
    if (k >= p->n)
        return false;
    memset(out, 0, sizeof *out);
    char err[256];
    cJSON *rep = rpc(p, k, op_msg("info", NULL), err, sizeof err);
    pthread_mutex_lock(&p->mu);
    out->pid = p->w[k].pid;
    out->up = p->w[k].ctl >= 0;
    pthread_mutex_unlock(&p->mu);
    if (!rep)
        return out->up = false;
    out->instances = wproto_num(rep, "instances", 0);
    out->threads = (unsigned)wproto_num(rep, "threads", 0);
    out->stacks = wproto_num(rep, "stacks", 0);
    out->max_rss_bytes = wproto_num(rep, "max_rss_kib", 0) * 1024;
    out->seccomp = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "seccomp"));
    pthread_mutex_lock(&p->mu);
    snprintf(out->jail, sizeof out->jail, "%s", p->w[k].jail);
    pthread_mutex_unlock(&p->mu);
    cJSON_Delete(rep);
    return true;
}

unsigned workers_count(const WorkerPool *p)
{
    return p->n;
}
