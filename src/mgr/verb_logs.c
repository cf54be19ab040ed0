/* verb_logs.c: `lodge logs [-f] [--tail BYTES] ID`: a guest's output (a machine's console, an instance's
 * stdout and stderr) as the daemon kept it; -f follows it until the guest ends or Ctrl-C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/utf8.h"
#include "mgr/cmd.h"
#include "mgr/mgr.h"

enum { LG_FOLLOW = 1, LG_TAIL };
static const OptDesc logs_opts[] = {
    {LG_FOLLOW, "--follow", "-f", OPT_FLAG, NULL, NULL, 0, 0, "keep printing new output until the guest ends"},
    {LG_TAIL, "--tail", NULL, OPT_SIZE, "SIZE", "tail size", 0, 0, "only the last SIZE bytes of the log: 4K, 1M"},
    {0},
};

typedef struct LogsOpts {
    bool follow, tail_given;
    uint64_t tail;
} LogsOpts;

static int on_opt(Cmd *c, void *ctx, const OptArg *a)
{
    LogsOpts *o = ctx;
    if (a->opt->id == LG_FOLLOW)
        o->follow = true;
    else {
        o->tail = a->num;
        o->tail_given = true;
    }
    return 0;
}

/* Guest output as a JSON string: NULs and bytes that are not UTF-8 become U+FFFD, so the document stays
 * valid JSON whatever the guest wrote. malloc'd. */
static char *valid_text(const char *p, size_t n)
{
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)p[i];
        size_t len = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 0;
        if (ch != 0 && len && i + len <= n && utf8_valid((const uint8_t *)p + i, len)) {
            memcpy(o, p + i, len);
            o += len;
            i += len;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}

int mgr_cmd_logs(int argc, char **argv)
{
    Cmd c = {0};
    LogsOpts o = {0};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    cJSON *g = NULL;
    if (!ops)
        return MGR_EXIT_ERROR;
    rc = cmd_begin(&c, argv[0], "usage: lodge logs [-f] [--tail SIZE] [--json] ID\n\n"
                   "Prints a guest's output as the daemon kept it: a machine's serial console, an instance's\n"
                   "stdout and stderr interleaved. --json prints {\"id\", \"logs\"} (not with -f).\n",
                   logs_opts, NULL, argc, argv, true, on_opt, &o, ops, &nops);
    if (rc >= 0)
        goto out;
    if (nops != 1) {
        rc = cmd_usage_error(&c, nops ? "one guest at a time" : "which guest? give its id (lodge ps lists them)");
        goto out;
    }
    if (c.json && o.follow) {
        rc = cmd_usage_error(&c, "--json and --follow do not go together (a followed log has no end to print)");
        goto out;
    }
    const char *coll;
    if ((rc = cmd_find_guest(&c, ops[0], &coll, &g)))
        goto out;
    char esc[256], target[400];
    cmd_escape(ops[0], esc, sizeof esc);
    int n = snprintf(target, sizeof target, "/v1/%s/%s/logs?follow=%s", coll, esc, o.follow ? "true" : "false");
    if (o.tail_given)
        snprintf(target + n, sizeof target - (size_t)n, "&tail=%llu", (unsigned long long)o.tail);
    ClientReply r;
    if (!c.json) {   /* streamed as it comes, followed or not: a console log may be large */
        fflush(stdout);
        if (!client_stream(&c.client, target, STDOUT_FILENO, &r)) {
            rc = cmd_unreachable(&c);
            goto out;
        }
        rc = MGR_EXIT_OK;
        if (r.status >= 300) {
            cJSON *j = r.body ? cJSON_ParseWithLength(r.body, r.len) : NULL;
            rc = cmd_fault(&c, r.status, j, j ? NULL : r.body);
            cJSON_Delete(j);
        }
        client_reply_free(&r);
        goto out;
    }
    int st = cmd_call_raw(&c, "GET", target, NULL, NULL, 0, &r);
    if (st < 0) {
        rc = MGR_EXIT_ERROR;
        goto out;
    }
    if (st >= 300) {
        cJSON *j = r.body ? cJSON_ParseWithLength(r.body, r.len) : NULL;
        rc = cmd_fault(&c, st, j, j ? NULL : r.body);
        cJSON_Delete(j);
    } else {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "id", ops[0]);
        char *text = valid_text(r.body, r.len);
        cJSON_AddStringToObject(out, "logs", text ? text : "");
        free(text);
        cmd_print_json(out);
        cJSON_Delete(out);
        rc = MGR_EXIT_OK;
    }
    client_reply_free(&r);
out:
    cJSON_Delete(g);
    free(ops);
    cmd_end(&c);
    return rc;
}
