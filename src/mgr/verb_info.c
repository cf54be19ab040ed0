/* verb_info.c: `lodge info ID`: everything the daemon knows of a guest, one field a line (sizes and times
 * also in human form); `lodge stats [ID...]`: its counters in a table, CPU% measured over a short interval,
 * and with --watch refreshed until interrupted, as `docker stats` does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/size.h"
#include "mgr/cmd.h"
#include "mgr/mgr.h"
#include "mgr/table.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* One scalar as text, with its human form where the name says what it is. */
static void scalar(const char *name, const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsString(v)) {
        snprintf(buf, n, "%s", v->valuestring);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        char h[64] = "";
        if (ends_with(name, "_bytes") && d >= 1024) {
            size_format_short((uint64_t)d, h, sizeof h);
        } else if (ends_with(name, "_at") && d > 0) {
            time_t t = (time_t)d;
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(h, sizeof h, "%Y-%m-%d %H:%M:%S", &tm);
        } else if (ends_with(name, "_ns") && d > 0) {
            table_cpu_time((uint64_t)d, h, sizeof h);
        }
        if (d == (double)(long long)d)
            snprintf(buf, n, "%lld%s%s%s", (long long)d, *h ? " (" : "", h, *h ? ")" : "");
        else
            snprintf(buf, n, "%g", d);
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, n, "null");
    } else {
        char *s = cJSON_PrintUnformatted(v);
        snprintf(buf, n, "%s", s ? s : "?");
        free(s);
    }
}

/* Objects flattened to dotted names ("config.mem_bytes"); arrays of objects one element a line. */
static void print_fields(const cJSON *obj, const char *prefix)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        char name[128], val[1024];
        snprintf(name, sizeof name, "%s%s", prefix, m->string ? m->string : "?");
        if (cJSON_IsObject(m)) {
            char sub[136];
            snprintf(sub, sizeof sub, "%s.", name);
            print_fields(m, sub);
        } else if (cJSON_IsArray(m) && m->child) {
            int i = 0;
            for (const cJSON *e = m->child; e; e = e->next, i++) {
                char item[140];
                snprintf(item, sizeof item, "%s[%d]", name, i);
                scalar(item, e, val, sizeof val);
                printf("%-28s %s\n", item, val);
            }
        } else {
            scalar(name, m, val, sizeof val);
            printf("%-28s %s\n", name, val);
        }
    }
}

int mgr_cmd_info(int argc, char **argv)
{
    Cmd c = {0};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    if (!ops)
        return MGR_EXIT_ERROR;
    rc = cmd_begin(&c, argv[0], "usage: lodge info [--json] ID...\n\n"
                   "Prints what the daemon knows of guests: state, times, configuration, exit.\n",
                   NULL, NULL, argc, argv, true, NULL, NULL, ops, &nops);
    if (rc < 0 && nops == 0)
        rc = cmd_usage_error(&c, "which guest? give one or more ids (lodge ps lists them)");
    if (rc < 0) {
        rc = MGR_EXIT_OK;
        for (int i = 0; i < nops; i++) {
            const char *coll;
            cJSON *g;
            if (cmd_find_guest(&c, ops[i], &coll, &g) != 0) {
                rc = MGR_EXIT_ERROR;
                continue;
            }
            if (c.json) {
                cmd_print_json(g);
            } else {
                if (i)
                    printf("\n");
                print_fields(g, "");
            }
            cJSON_Delete(g);
        }
    }
    free(ops);
    cmd_end(&c);
    return rc;
}

/* ---- stats ------------------------------------------------------------------------------------- */

enum { ST_WATCH = 1, ST_INTERVAL };
static const OptDesc stats_opts[] = {
    {ST_WATCH, "--watch", "-w", OPT_FLAG, NULL, NULL, 0, 0, "refresh until interrupted (Ctrl-C)"},
    {ST_INTERVAL, "--interval", NULL, OPT_COUNT, "MS", "interval", 100, 3600000,
     "time between samples, milliseconds (default 1000)"},
    {0},
};

typedef struct StatsOpts {
    bool watch;
    unsigned interval_ms;
} StatsOpts;

static int stats_opt(Cmd *c, void *ctx, const OptArg *a)
{
    StatsOpts *o = ctx;
    if (a->opt->id == ST_WATCH)
        o->watch = true;
    else
        o->interval_ms = (unsigned)a->num;
    return 0;
}

typedef struct Target {
    char id[72];
    bool machine;
    uint64_t last_cpu;   /* cpu_ns at the last sample */
} Target;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The guests to watch: the ids given (checked), or every running and paused guest. */
static int targets(Cmd *c, char **ops, int nops, Target **out, size_t *n)
{
    size_t cap = 16;
    Target *t = calloc(cap, sizeof *t);
    *n = 0;
    if (!t)
        return cmd_error(c, "out of memory");
    if (nops) {
        free(t);
        t = calloc((size_t)nops, sizeof *t);
        if (!t)
            return cmd_error(c, "out of memory");
        for (int i = 0; i < nops; i++) {
            const char *coll;
            cJSON *g;
            int rc = cmd_find_guest(c, ops[i], &coll, &g);
            if (rc) {
                free(t);
                return rc;
            }
            snprintf(t[i].id, sizeof t[i].id, "%s", cmd_str(g, "id"));
            t[i].machine = strcmp(coll, "machines") == 0;
            cJSON_Delete(g);
        }
        *n = (size_t)nops;
        *out = t;
        return 0;
    }
    for (int kind = 0; kind < 2; kind++) {
        cJSON *list = NULL;
        int st = cmd_call(c, "GET", kind ? "/v1/instances" : "/v1/machines", NULL, &list);
        if (st != 200) {
            int rc = st < 0 ? MGR_EXIT_ERROR : cmd_fault(c, st, list, NULL);
            cJSON_Delete(list);
            free(t);
            return rc;
        }
        for (const cJSON *g = list ? list->child : NULL; g; g = g->next) {
            const char *state = cmd_str(g, "state");
            if (strcmp(state, "running") != 0 && strcmp(state, "paused") != 0)
                continue;
            if (*n == cap) {
                Target *nt = realloc(t, (cap *= 2) * sizeof *t);
                if (!nt) {
                    cJSON_Delete(list);
                    free(t);
                    return cmd_error(c, "out of memory");
                }
                t = nt;
            }
            memset(&t[*n], 0, sizeof *t);
            snprintf(t[*n].id, sizeof t[*n].id, "%s", cmd_str(g, "id"));
            t[*n].machine = kind == 0;
            (*n)++;
        }
        cJSON_Delete(list);
    }
    *out = t;
    return 0;
}

static cJSON *sample(Cmd *c, const Target *t, int *status)
{
    char esc[256], target[320];
    cmd_escape(t->id, esc, sizeof esc);
    snprintf(target, sizeof target, "/v1/%s/%s/stats", t->machine ? "machines" : "instances", esc);
    cJSON *s = NULL;
    *status = cmd_call(c, "GET", target, NULL, &s);
    return s;
}

static void pair(uint64_t a, uint64_t b, char *buf, size_t n)
{
    char x[32], y[32];
    size_format_short(a, x, sizeof x);
    size_format_short(b, y, sizeof y);
    snprintf(buf, n, "%s / %s", x, y);
}

/* One table (or one JSON array) of every target's counters; CPU% over the last dt seconds. */
static int print_round(Cmd *c, Target *t, size_t n, double dt, bool first)
{
    static const char *const heads[] = {"ID", "KIND", "STATE", "CPU", "CPU%", "MEMORY", "DISK R/W", "NET RX/TX",
                                        "INSNS/FUEL"};
    Table tab;
    table_init(&tab, 9, heads);
    cJSON *all = c->json ? cJSON_CreateArray() : NULL;
    int rc = MGR_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        int st;
        cJSON *s = sample(c, &t[i], &st);
        if (st != 200) {
            rc = st < 0 ? MGR_EXIT_ERROR : cmd_fault(c, st, s, NULL);
            cJSON_Delete(s);
            continue;
        }
        uint64_t cpu = (uint64_t)cmd_num(s, "cpu_ns");
        char ctime[32], pct[32], mem[32], disk[80], net[80], work[64];
        table_cpu_time(cpu, ctime, sizeof ctime);
        if (first || dt <= 0)
            snprintf(pct, sizeof pct, "-");
        else
            snprintf(pct, sizeof pct, "%.1f%%", (double)(cpu - (cpu > t[i].last_cpu ? t[i].last_cpu : cpu)) / 1e7 / dt);
        t[i].last_cpu = cpu;
        if (t[i].machine) {
            size_format_short((uint64_t)cmd_num(s, "rss_bytes"), mem, sizeof mem);
            pair((uint64_t)cmd_num(s, "disk_read_bytes"), (uint64_t)cmd_num(s, "disk_write_bytes"), disk, sizeof disk);
            pair((uint64_t)cmd_num(s, "net_rx_bytes"), (uint64_t)cmd_num(s, "net_tx_bytes"), net, sizeof net);
            snprintf(work, sizeof work, "%.0f", cmd_num(s, "instructions"));
        } else {
            size_format_short((uint64_t)cmd_num(s, "memory_bytes"), mem, sizeof mem);
            snprintf(disk, sizeof disk, "-");
            snprintf(net, sizeof net, "-");
            snprintf(work, sizeof work, "%.0f", cmd_num(s, "fuel_used"));
        }
        const char *row[] = {t[i].id, t[i].machine ? "machine" : "instance", cmd_str(s, "state"), ctime, pct, mem,
                             disk, net, work};
        if (all)
            cJSON_AddItemToArray(all, s);
        else {
            table_add(&tab, row);
            cJSON_Delete(s);
        }
    }
    if (all) {
        char *text = cJSON_PrintUnformatted(all);
        if (text)
            printf("%s\n", text);
        free(text);
        cJSON_Delete(all);
    } else if (!first) {
        table_print(&tab, stdout);
    }
    table_free(&tab);
    fflush(stdout);
    return rc;
}

int mgr_cmd_stats(int argc, char **argv)
{
    Cmd c = {0};
    StatsOpts o = {.interval_ms = 1000};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    Target *t = NULL;
    size_t n = 0;
    if (!ops)
        return MGR_EXIT_ERROR;
    rc = cmd_begin(&c, argv[0], "usage: lodge stats [--watch] [--interval MS] [--json] [ID...]\n\n"
                   "Prints the counters of guests (without ids: every running or paused guest): host CPU time,\n"
                   "CPU% over one interval, memory in use, disk and network bytes, and instructions retired\n"
                   "(machines) or fuel used (instances). --json prints the API's stats objects, one array a\n"
                   "sample.\n",
                   stats_opts, NULL, argc, argv, true, stats_opt, &o, ops, &nops);
    if (rc >= 0)
        goto out;
    if ((rc = targets(&c, ops, nops, &t, &n)))
        goto out;
    /* A first sample to measure CPU% against (not printed as a table), then one round, or rounds forever. */
    double last = now_s();
    if (!c.json && (rc = print_round(&c, t, n, 0, true)))
        goto out;
    for (;;) {
        if (!c.json || o.watch)
            nanosleep(&(struct timespec){o.interval_ms / 1000, (long)(o.interval_ms % 1000) * 1000000L}, NULL);
        double now = now_s();
        if (o.watch && !c.json)
            printf("\033[H\033[2J");
        rc = print_round(&c, t, n, now - last, false);
        last = now;
        if (!o.watch || rc)
            break;
    }
out:
    free(t);
    free(ops);
    cmd_end(&c);
    return rc;
}
