/* verb_ps.c: `lodge ps` (alias `list`): the guests of both kinds in one table, as `docker ps` and
 * `virsh list` show theirs: the ones holding resources (created, running, paused), or all with -a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/size.h"
#include "mgr/cmd.h"
#include "mgr/mgr.h"
#include "mgr/table.h"

static const char usage[] =
    "usage: lodge ps [-a] [--json] [--socket PATH]     (also: lodge list)\n"
    "\n"
    "Lists the daemon's guests, machines and WebAssembly instances, oldest first: those that are created,\n"
    "running or paused, or with -a every guest, stopped and crashed ones too.\n"
    "CPU is the host CPU time a guest has used; MEMORY what it uses now / its limit.\n";

enum { PS_ALL = 1, PS_QUIET };
static const OptDesc ps_opts[] = {
    {PS_ALL, "--all", "-a", OPT_FLAG, NULL, NULL, 0, 0, "every guest, stopped and crashed ones too"},
    {PS_QUIET, "--quiet", "-q", OPT_FLAG, NULL, NULL, 0, 0, "print ids only"},
    {0},
};

typedef struct PsOpts {
    bool all, quiet;
} PsOpts;

static int on_opt(Cmd *c, void *ctx, const OptArg *a)
{
    PsOpts *o = ctx;
    if (a->opt->id == PS_ALL)
        o->all = true;
    else
        o->quiet = true;
    return 0;
}

static bool shown(const cJSON *g, bool all)
{
    const char *st = cmd_str(g, "state");
    return all || strcmp(st, "created") == 0 || strcmp(st, "running") == 0 || strcmp(st, "paused") == 0;
}

/* "up 3m12s", "exit 0, 2m ago", "poweroff, 5s ago", "crashed: ...". */
static void life(const cJSON *g, bool machine, char *buf, size_t n)
{
    const char *st = cmd_str(g, "state");
    long long now = (long long)time(NULL);
    char d[32];
    if (strcmp(st, "running") == 0 || strcmp(st, "paused") == 0) {
        long long since = (long long)cmd_num(g, "started_at");
        table_duration(now > since ? (uint64_t)(now - since) : 0, d, sizeof d);
        snprintf(buf, n, "up %s", d);
    } else if (strcmp(st, "created") == 0) {
        long long since = (long long)cmd_num(g, "created_at");
        table_duration(now > since ? (uint64_t)(now - since) : 0, d, sizeof d);
        snprintf(buf, n, "created %s ago", d);
    } else {
        long long since = (long long)cmd_num(g, "ended_at");
        table_duration(now > since && since ? (uint64_t)(now - since) : 0, d, sizeof d);
        const char *err = cmd_str(g, "error");
        char what[96];
        if (strcmp(st, "crashed") == 0)
            snprintf(what, sizeof what, "crashed%s%.60s", *err ? ": " : "", err);
        else if (machine) {
            const cJSON *ex = cJSON_GetObjectItemCaseSensitive(g, "exit");
            const char *why = cmd_str(ex, "reason");
            if (strcmp(why, "fail") == 0)
                snprintf(what, sizeof what, "fail %d", (int)cmd_num(ex, "fail_code"));
            else
                snprintf(what, sizeof what, "%s", *why ? why : "stopped");
        } else if (*err)
            snprintf(what, sizeof what, "%.60s", err);
        else
            snprintf(what, sizeof what, "exit %d", (int)cmd_num(g, "exit_code"));
        snprintf(buf, n, "%s, %s ago", what, d);
    }
}

/* CPU and MEMORY from the guest's /stats (the last known after it ended). */
static void usage_cells(Cmd *c, const cJSON *g, bool machine, char cpu[32], char mem[80])
{
    char esc[256], target[320], used[32], lim[32];
    cmd_escape(cmd_str(g, "id"), esc, sizeof esc);
    snprintf(target, sizeof target, "/v1/%s/%s/stats", machine ? "machines" : "instances", esc);
    cJSON *s = NULL;
    int st = cmd_call(c, "GET", target, NULL, &s);
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(g, "config");
    uint64_t limit = (uint64_t)cmd_num(cfg, machine ? "mem_bytes" : "max_memory_bytes");
    if (!limit)
        limit = (uint64_t)cmd_num(g, "charged_memory_bytes");
    size_format_short(limit, lim, sizeof lim);
    if (st == 200) {
        table_cpu_time((uint64_t)cmd_num(s, "cpu_ns"), cpu, 32);
        size_format_short((uint64_t)cmd_num(s, machine ? "rss_bytes" : "memory_bytes"), used, sizeof used);
        snprintf(mem, 80, "%s/%s", used, lim);
    } else {
        snprintf(cpu, 32, "-");
        snprintf(mem, 80, "-/%s", lim);
    }
    cJSON_Delete(s);
}

typedef struct Row {
    const cJSON *g;
    bool machine;
    long long created;
    size_t order;
} Row;

static int by_age(const void *a, const void *b)
{
    const Row *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Keeps only the guests shown (for --json). */
static void filter(cJSON *arr, bool all)
{
    for (cJSON *g = arr ? arr->child : NULL, *next; g; g = next) {
        next = g->next;
        if (!shown(g, all))
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, g));
    }
}

int mgr_cmd_ps(int argc, char **argv)
{
    Cmd c = {0};
    PsOpts o = {0};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc = MGR_EXIT_ERROR;
    if (!ops)
        return MGR_EXIT_ERROR;
    int r = cmd_begin(&c, argv[0], usage, ps_opts, NULL, argc, argv, true, on_opt, &o, ops, &nops);
    cJSON *machines = NULL, *instances = NULL;
    Row *rows = NULL;
    Table t = {0};
    if (r >= 0) {
        rc = r;
        goto out;
    }
    if (nops) {
        rc = cmd_usage_error(&c, "unexpected argument '%s'", ops[0]);
        goto out;
    }
    int st = cmd_call(&c, "GET", "/v1/machines", NULL, &machines);
    if (st != 200) {
        rc = st < 0 ? MGR_EXIT_ERROR : cmd_fault(&c, st, machines, NULL);
        goto out;
    }
    st = cmd_call(&c, "GET", "/v1/instances", NULL, &instances);
    if (st != 200) {
        rc = st < 0 ? MGR_EXIT_ERROR : cmd_fault(&c, st, instances, NULL);
        goto out;
    }
    if (!cJSON_IsArray(machines) || !cJSON_IsArray(instances)) {
        rc = cmd_error(&c, "the daemon's lists are not JSON arrays");
        goto out;
    }
    if (c.json) {
        filter(machines, o.all);
        filter(instances, o.all);
        cJSON *both = cJSON_CreateObject();
        cJSON_AddItemToObject(both, "machines", machines);
        cJSON_AddItemToObject(both, "instances", instances);
        machines = instances = NULL;
        cmd_print_json(both);
        cJSON_Delete(both);
        rc = MGR_EXIT_OK;
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(machines) + (size_t)cJSON_GetArraySize(instances), k = 0;
    rows = calloc(n + 1, sizeof *rows);
    if (!rows) {
        rc = cmd_error(&c, "out of memory");
        goto out;
    }
    for (int kind = 0; kind < 2; kind++)
        for (const cJSON *g = (kind ? instances : machines)->child; g; g = g->next)
            if (shown(g, o.all))
                rows[k] = (Row){g, kind == 0, (long long)cmd_num(g, "created_at"), k}, k++;
    qsort(rows, k, sizeof *rows, by_age);
    static const char *const heads[] = {"ID", "KIND", "STATE", "CPU", "MEMORY", "UPTIME/EXIT"};
    table_init(&t, 6, heads);
    for (size_t i = 0; i < k; i++) {
        if (o.quiet) {
            printf("%s\n", cmd_str(rows[i].g, "id"));
            continue;
        }
        char cpu[32], mem[80], lf[160];
        usage_cells(&c, rows[i].g, rows[i].machine, cpu, mem);
        life(rows[i].g, rows[i].machine, lf, sizeof lf);
        const char *row[] = {cmd_str(rows[i].g, "id"), rows[i].machine ? "machine" : "instance",
                             cmd_str(rows[i].g, "state"), cpu, mem, lf};
        table_add(&t, row);
    }
    if (!o.quiet)
        table_print(&t, stdout);
    rc = MGR_EXIT_OK;
out:
    table_free(&t);
    free(rows);
    cJSON_Delete(machines);
    cJSON_Delete(instances);
    free(ops);
    cmd_end(&c);
    return rc;
}
