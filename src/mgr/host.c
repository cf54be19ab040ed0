/* host.c: what the host has, what the guests hold of it, admission control, and /metrics.
 * A guest holds its charge (a machine's RAM plus a fixed process overhead, an instance's store budget) from
 * create until it ends, whether or not it has touched that memory yet: admission is a promise, refused up
 * front with 409 rather than an out-of-memory kill later. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/jsonv.h"
#include "mgr/mproc.h"

static bool holds(const Guest *g)
{
    return g->state == LODGE_STATE_CREATED || g->state == LODGE_STATE_RUNNING || g->state == LODGE_STATE_PAUSED;
}

uint64_t host_allocated(const Daemon *d, GuestKind kind)
{
    return d->allocated[kind]; /* kept by guests.c as guests come, change state and go */
}

uint64_t host_budget(const Daemon *d)
{
    return (uint64_t)((double)d->host_memory * d->overcommit);
}

uint64_t host_memory_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

static double mib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0);
}

bool host_admit(Daemon *d, const char *what, uint64_t bytes, HttpResponse *r)
{
    uint64_t used = host_allocated(d, GUEST_MACHINE) + host_allocated(d, GUEST_INSTANCE);
    uint64_t budget = host_budget(d);
    if (used + bytes <= budget && used + bytes >= used)
        return true;
    d->admission_refusals++;
    return http_fault(r, 409,
                      "admission refused: %s needs %" PRIu64 " bytes (%.1f MiB) but only %" PRIu64
                      " bytes (%.1f MiB) of the host's budget are free: budget %" PRIu64
                      " bytes (%.1f MiB = host memory %" PRIu64 " x overcommit %.2f), allocated %" PRIu64
                      " bytes (%.1f MiB)",
                      what, bytes, mib(bytes), budget > used ? budget - used : 0,
                      mib(budget > used ? budget - used : 0), budget, mib(budget), d->host_memory, d->overcommit,
                      used, mib(used));
}

static cJSON *counts(const Daemon *d, GuestKind kind)
{
    unsigned n[LODGE_STATE_CRASHED + 1] = {0};
    for (size_t i = 0; i < d->nguests; i++)
        if (d->guests[i]->kind == kind)
            n[d->guests[i]->state]++;
    cJSON *o = cJSON_CreateObject();
    for (int s = LODGE_STATE_CREATED; s <= LODGE_STATE_CRASHED; s++)
        cJSON_AddNumberToObject(o, lodge_state_name((lodge_guest_state_t)s), n[s]);
    return o;
}

void host_handle(Daemon *d, const HttpRequest *req, HttpResponse *r)
{
    if (strcmp(req->method, "GET") != 0) {
        http_fault(r, 405, "%s is not served on /v1/host (GET only)", req->method);
        return;
    }
    uint64_t m = host_allocated(d, GUEST_MACHINE), in = host_allocated(d, GUEST_INSTANCE);
    uint64_t budget = host_budget(d), vcpus = 0;
    for (size_t i = 0; i < d->nguests; i++)
        if (d->guests[i]->kind == GUEST_MACHINE && holds(d->guests[i]))
            vcpus += d->guests[i]->cpus;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "cpus", d->host_cpus);
    cJSON_AddNumberToObject(o, "memory_bytes", (double)d->host_memory);
    cJSON_AddNumberToObject(o, "memory_available_bytes", (double)host_memory_available());
    cJSON_AddNumberToObject(o, "overcommit", d->overcommit);
    cJSON_AddNumberToObject(o, "memory_budget_bytes", (double)budget);
    cJSON_AddNumberToObject(o, "machine_overhead_bytes", (double)d->machine_overhead);
    cJSON *a = cJSON_AddObjectToObject(o, "allocated");
    cJSON_AddNumberToObject(a, "memory_bytes", (double)(m + in));
    cJSON_AddNumberToObject(a, "machines_memory_bytes", (double)m);
    cJSON_AddNumberToObject(a, "instances_memory_bytes", (double)in);
    cJSON_AddNumberToObject(a, "vcpus", (double)vcpus);
    cJSON *f = cJSON_AddObjectToObject(o, "free");
    cJSON_AddNumberToObject(f, "memory_bytes", (double)(budget > m + in ? budget - m - in : 0));
    cJSON *gs = cJSON_AddObjectToObject(o, "guests");
    cJSON_AddItemToObject(gs, "machines", counts(d, GUEST_MACHINE));
    cJSON_AddItemToObject(gs, "instances", counts(d, GUEST_INSTANCE));
    cJSON *dm = cJSON_AddObjectToObject(o, "daemon");
    cJSON_AddNumberToObject(dm, "pid", getpid());
    cJSON_AddStringToObject(dm, "version", LODGED_API_VERSION);
    cJSON_AddStringToObject(dm, "state_dir", d->state_dir);
    cJSON_AddNumberToObject(dm, "started_at", (double)d->started_at);
    if (!d->pool)
        cJSON_AddStringToObject(dm, "instances_unavailable", d->pool_error);
    jsonv_respond(r, 200, o);
}

/* ---- /metrics: Prometheus text format 0.0.4 ---- */

typedef struct Text {
    char *p;
    size_t len, cap;
} Text;

static void put(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 8192) + (size_t)n;
        char *p = realloc(t->p, cap);
        if (!p)
            return;
        t->p = p;
        t->cap = cap;
    }
}

static void family(Text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void guest_metrics(Daemon *d, Text *t)
{
    family(t, "lodge_guest_state", "gauge", "1 for the guest's current state");
    for (size_t i = 0; i < d->nguests; i++) {
        const Guest *g = d->guests[i];
        for (int s = LODGE_STATE_CREATED; s <= LODGE_STATE_CRASHED; s++)
            put(t, "lodge_guest_state{kind=\"%s\",id=\"%s\",state=\"%s\"} %d\n", guests_kind_name(g->kind), g->id,
                lodge_state_name((lodge_guest_state_t)s), g->state == (lodge_guest_state_t)s);
    }
    /* Refresh what the running guests report before printing their counters: each machine in turn, the
     * instances with one question per worker (not one per instance: there may be thousands). */
    size_t ninst = 0;
    for (size_t i = 0; i < d->nguests; i++) {
        Guest *g = d->guests[i];
        if (g->kind == GUEST_MACHINE && g->pid > 0 && g->state != LODGE_STATE_CREATED)
            mproc_refresh_stats(g);
        ninst += g->kind == GUEST_INSTANCE;
    }
    InstanceStatus *all = d->pool && ninst ? calloc(ninst + 64, sizeof *all) : NULL;
    size_t n = all ? workers_list(d->pool, all, ninst + 64) : 0;
    for (size_t k = 0; k < n && k < ninst + 64; k++) {
        Guest *g = guests_find(d, GUEST_INSTANCE, all[k].id);
        if (g) {
            g->inst.memory_bytes = all[k].memory_bytes;
            g->inst.cpu_ns = all[k].cpu_ns;
            g->inst.fuel_used = all[k].fuel_used;
        }
    }
    free(all);
    family(t, "lodge_guest_cpu_seconds_total", "counter", "host CPU time used by the guest");
    for (size_t i = 0; i < d->nguests; i++) {
        const Guest *g = d->guests[i];
        uint64_t ns = g->kind == GUEST_MACHINE ? g->proc_cpu_ns : g->inst.cpu_ns;
        put(t, "lodge_guest_cpu_seconds_total{kind=\"%s\",id=\"%s\"} %.6f\n", guests_kind_name(g->kind), g->id,
            (double)ns / 1e9);
    }
    family(t, "lodge_guest_memory_bytes", "gauge", "host memory the guest uses now (machines: resident size)");
    for (size_t i = 0; i < d->nguests; i++) {
        const Guest *g = d->guests[i];
        uint64_t b = g->kind == GUEST_MACHINE ? g->proc_rss : g->inst.memory_bytes;
        put(t, "lodge_guest_memory_bytes{kind=\"%s\",id=\"%s\"} %" PRIu64 "\n", guests_kind_name(g->kind), g->id, b);
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } mc[] = {
        {"lodge_machine_disk_read_bytes_total", "bytes the guest read from its disks",
         offsetof(lodge_machine_stats_t, disk_read_bytes)},
        {"lodge_machine_disk_write_bytes_total", "bytes the guest wrote to its disks",
         offsetof(lodge_machine_stats_t, disk_write_bytes)},
        {"lodge_machine_net_rx_bytes_total", "bytes the guest received", offsetof(lodge_machine_stats_t, net_rx_bytes)},
        {"lodge_machine_net_tx_bytes_total", "bytes the guest sent", offsetof(lodge_machine_stats_t, net_tx_bytes)},
        {"lodge_machine_instructions_total", "guest instructions retired", offsetof(lodge_machine_stats_t, instructions)},
    };
    for (size_t k = 0; k < sizeof mc / sizeof mc[0]; k++) {
        family(t, mc[k].name, "counter", mc[k].help);
        for (size_t i = 0; i < d->nguests; i++) {
            const Guest *g = d->guests[i];
            if (g->kind == GUEST_MACHINE)
                put(t, "%s{id=\"%s\"} %" PRIu64 "\n", mc[k].name, g->id,
                    *(const uint64_t *)((const char *)&g->stats + mc[k].off));
        }
    }
    family(t, "lodge_instance_fuel_used_total", "counter", "fuel the instance has used");
    for (size_t i = 0; i < d->nguests; i++)
        if (d->guests[i]->kind == GUEST_INSTANCE)
            put(t, "lodge_instance_fuel_used_total{id=\"%s\"} %" PRIu64 "\n", d->guests[i]->id,
                d->guests[i]->inst.fuel_used);
}

void host_metrics(Daemon *d, const HttpRequest *req, HttpResponse *r)
{
    if (strcmp(req->method, "GET") != 0) {
        http_fault(r, 405, "%s is not served on /metrics (GET only)", req->method);
        return;
    }
    Text t = {0};
    guest_metrics(d, &t);
    family(&t, "lodge_host_cpus", "gauge", "online host cores");
    put(&t, "lodge_host_cpus %u\n", d->host_cpus);
    family(&t, "lodge_host_memory_bytes", "gauge", "host memory");
    put(&t, "lodge_host_memory_bytes %" PRIu64 "\n", d->host_memory);
    family(&t, "lodge_host_memory_budget_bytes", "gauge", "host memory x overcommit");
    put(&t, "lodge_host_memory_budget_bytes %" PRIu64 "\n", host_budget(d));
    family(&t, "lodge_host_memory_allocated_bytes", "gauge", "charged to created, running and paused guests");
    put(&t, "lodge_host_memory_allocated_bytes %" PRIu64 "\n",
        host_allocated(d, GUEST_MACHINE) + host_allocated(d, GUEST_INSTANCE));
    family(&t, "lodge_guests", "gauge", "guests by kind and state");
    for (int k = 0; k < 2; k++)
        for (int s = LODGE_STATE_CREATED; s <= LODGE_STATE_CRASHED; s++) {
            unsigned n = 0;
            for (size_t i = 0; i < d->nguests; i++)
                n += d->guests[i]->kind == (GuestKind)k && d->guests[i]->state == (lodge_guest_state_t)s;
            put(&t, "lodge_guests{kind=\"%s\",state=\"%s\"} %u\n", guests_kind_name((GuestKind)k),
                lodge_state_name((lodge_guest_state_t)s), n);
        }
    HttpServerStats hs;
    http_server_stats(d->server, &hs);
    family(&t, "lodge_daemon_requests_total", "counter", "API requests served");
    put(&t, "lodge_daemon_requests_total %llu\n", hs.requests);
    family(&t, "lodge_daemon_bad_requests_total", "counter", "API requests answered with a 4xx or 5xx");
    put(&t, "lodge_daemon_bad_requests_total %llu\n", hs.bad_requests);
    family(&t, "lodge_daemon_connections", "gauge", "open API connections");
    put(&t, "lodge_daemon_connections %u\n", hs.connections);
    family(&t, "lodge_daemon_admission_refusals_total", "counter", "creates refused by admission control");
    put(&t, "lodge_daemon_admission_refusals_total %llu\n", d->admission_refusals);
    family(&t, "lodge_daemon_crashes_total", "counter", "guests that crashed since the daemon started");
    put(&t, "lodge_daemon_crashes_total{kind=\"machine\"} %llu\n", d->crashes[GUEST_MACHINE]);
    put(&t, "lodge_daemon_crashes_total{kind=\"instance\"} %llu\n", d->crashes[GUEST_INSTANCE]);
    family(&t, "lodge_daemon_uptime_seconds", "gauge", "seconds since the daemon started");
    put(&t, "lodge_daemon_uptime_seconds %lld\n", api_now() - d->started_at);
    free(r->body);
    r->status = t.p ? 200 : 500;
    r->content_type = "text/plain; version=0.0.4";
    r->body = t.p;
    r->body_len = t.len;
}
