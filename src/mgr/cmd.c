/* cmd.c: the client verbs' shared plumbing (cmd.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr/cmd.h"
#include "mgr/mgr.h"

const OptDesc cmd_common_opts[] = {
    {CMD_OPT_JSON, "--json", NULL, OPT_FLAG, NULL, NULL, 0, 0, "print the API's JSON as is"},
    {CMD_OPT_SOCKET, "--socket", NULL, OPT_STR, "PATH", "socket", 0, 0,
     "the daemon's socket (default: $LODGE_SOCKET, else the per-user one)"},
    {0},
};

static void print_help(Cmd *c)
{
    char def[108];
    fputs(c->usage, stdout);
    fputs("\noptions:\n", stdout);
    for (int i = 0; i < 3; i++)
        opt_print_help(stdout, c->tables[i]);
    printf("  %-25s %s\n", "-h, --help", "this text");
    mgr_default_socket(def, sizeof def);
    printf("\nThe daemon's socket now: %s\n", c->socket[0] ? c->socket : def);
}

int cmd_begin(Cmd *c, const char *verb, const char *usage, const OptDesc *t0, const OptDesc *t1, int argc,
              char **argv, bool interleaved, CmdOptFn fn, void *ctx, char **ops, int *nops)
{
    memset(c, 0, sizeof *c);
    c->verb = verb;
    c->usage = usage;
    c->tables[0] = t0;
    c->tables[1] = t1;
    c->tables[2] = cmd_common_opts;
    mgr_default_socket(c->socket, sizeof c->socket);
    client_init(&c->client, c->socket, CMD_TIMEOUT_MS);
    *nops = 0;
    OptParser p;
    OptArg a;
    OptResult r;
    opt_init(&p, argc, argv, t0 ? t0 : cmd_common_opts, t1 ? t1 : cmd_common_opts, cmd_common_opts);
    p.interleaved = interleaved;
    while ((r = opt_next(&p, &a)) == OPT_OPTION || r == OPT_OPERAND) {
        if (r == OPT_OPERAND) {
            ops[(*nops)++] = (char *)a.str;
        } else if (a.opt->id == CMD_OPT_JSON) {
            c->json = true;
        } else if (a.opt->id == CMD_OPT_SOCKET) {
            if (!a.str[0] || strlen(a.str) >= sizeof c->socket - 1)
                return cmd_usage_error(c, "--socket '%s': expected a path shorter than %zu bytes", a.str,
                                       sizeof c->socket - 1);
            snprintf(c->socket, sizeof c->socket, "%s", a.str);
            client_init(&c->client, c->socket, CMD_TIMEOUT_MS);
        } else {
            int rc = fn ? fn(c, ctx, &a) : 0;
            if (rc)
                return rc;
        }
    }
    if (r == OPT_HELP) {
        print_help(c);
        return MGR_EXIT_OK;
    }
    if (r == OPT_ERROR)
        return cmd_usage_error(c, "%s", p.err);
    for (int i = p.i; i < argc; i++)
        ops[(*nops)++] = argv[i];
    return -1;
}

void cmd_end(Cmd *c)
{
    if (c->verb)   /* set up by cmd_begin */
        client_close(&c->client);
}

int cmd_usage_error(Cmd *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lodge %s: ", c->verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see lodge %s --help)\n", c->verb);
    return MGR_EXIT_USAGE;
}

int cmd_error(Cmd *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lodge %s: ", c->verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return MGR_EXIT_ERROR;
}

int cmd_unreachable(Cmd *c)
{
    char def[108];
    mgr_default_socket(def, sizeof def);
    bool is_default = strcmp(def, c->socket) == 0;
    if (c->client.unreachable)
        return cmd_error(c, "no daemon answers at %s (%s)\n  start one with `lodge daemon%s%s`, or point at a "
                         "running one with --socket PATH or LODGE_SOCKET", c->socket, c->client.err,
                         is_default ? "" : " --socket ", is_default ? "" : c->socket);
    return cmd_error(c, "talking to the daemon at %s: %s", c->socket, c->client.err);
}

int cmd_call_raw(Cmd *c, const char *method, const char *target, const char *ctype, const void *body, size_t len,
                 ClientReply *reply)
{
    if (!client_request(&c->client, method, target, ctype, body, len, reply)) {
        cmd_unreachable(c);
        return -1;
    }
    return reply->status;
}

int cmd_call(Cmd *c, const char *method, const char *target, cJSON *body, cJSON **out)
{
    char *text = NULL;
    if (body) {
        text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (!text) {
            cmd_error(c, "out of memory");
            return -1;
        }
    }
    ClientReply r;
    int status = cmd_call_raw(c, method, target, "application/json", text, text ? strlen(text) : 0, &r);
    free(text);
    if (out)
        *out = NULL;
    if (status < 0)
        return -1;
    if (out && r.body)
        *out = cJSON_ParseWithLength(r.body, r.len);
    if (out && r.body && !*out && status < 300) {
        cmd_error(c, "the daemon's answer to %s %s is not JSON: %.200s", method, target, r.body);
        client_reply_free(&r);
        return -1;
    }
    client_reply_free(&r);
    return status;
}

int cmd_fault(Cmd *c, int status, const cJSON *reply, const char *raw)
{
    const char *msg = cmd_str(reply, "fault_message");
    if (*msg)
        return cmd_error(c, "%s", msg);
    return cmd_error(c, "the daemon answered %d%s%.300s", status, raw && *raw ? ": " : "", raw ? raw : "");
}

int cmd_find_guest(Cmd *c, const char *id, const char **collection, cJSON **guest)
{
    static const char *const colls[] = {"machines", "instances"};
    char esc[256], target[320];
    cmd_escape(id, esc, sizeof esc);
    for (int i = 0; i < 2; i++) {
        cJSON *j = NULL;
        snprintf(target, sizeof target, "/v1/%s/%s", colls[i], esc);
        int st = cmd_call(c, "GET", target, NULL, &j);
        if (st < 0)
            return MGR_EXIT_ERROR;
        if (st == 200) {
            *collection = colls[i];
            *guest = j;
            return 0;
        }
        if (st != 404) {
            int rc = cmd_fault(c, st, j, NULL);
            cJSON_Delete(j);
            return rc;
        }
        cJSON_Delete(j);
    }
    return cmd_error(c, "no guest '%s' (see lodge ps -a)", id);
}

void cmd_print_json(const cJSON *v)
{
    char *s = cJSON_Print(v);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

double cmd_num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *cmd_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

void cmd_escape(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-_.~", ch)) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}
