/* verb_life.c: the verbs that move guests through the state machine: start, pause, resume, stop (graceful:
 * the guest ends itself; waits until it has), kill, rm. Each takes one or more ids, as docker's do, goes on
 * past a failure and exits 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgr/cmd.h"
#include "mgr/mgr.h"

typedef struct Life {
    const char *action;      /* the API's action; NULL for rm */
    unsigned long long timeout_s;
    bool timeout_given, no_wait, force;
} Life;

enum { LF_TIMEOUT = 1, LF_NO_WAIT, LF_FORCE };
static const OptDesc stop_opts[] = {
    {LF_TIMEOUT, "--timeout", "-t", OPT_COUNT, "SECONDS", "timeout", 0, 3600,
     "kill the guest if it has not ended after this long (default 30; 0: never)"},
    {LF_NO_WAIT, "--no-wait", NULL, OPT_FLAG, NULL, NULL, 0, 0, "return once the stop is asked for"},
    {0},
};
static const OptDesc rm_opts[] = {
    {LF_FORCE, "--force", "-f", OPT_FLAG, NULL, NULL, 0, 0, "kill the guest first if it is created, running or paused"},
    {0},
};

static int on_opt(Cmd *c, void *ctx, const OptArg *a)
{
    Life *l = ctx;
    switch (a->opt->id) {
    case LF_TIMEOUT: l->timeout_s = a->num; l->timeout_given = true; break;
    case LF_NO_WAIT: l->no_wait = true; break;
    case LF_FORCE: l->force = true; break;
    }
    return 0;
}

static bool ended(const char *state)
{
    return strcmp(state, "stopped") == 0 || strcmp(state, "crashed") == 0;
}

/* After a graceful stop: polls until the guest has ended (the daemon kills it at its deadline). */
static int wait_ended(Cmd *c, const char *target, const Life *l)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* The daemon kills at the deadline; a few seconds more cover the kill itself. */
    double limit = l->timeout_s ? (double)l->timeout_s + 10 : 1e18;
    for (;;) {
        cJSON *g = NULL;
        int st = cmd_call(c, "GET", target, NULL, &g);
        if (st != 200) {
            int rc = st < 0 ? MGR_EXIT_ERROR : cmd_fault(c, st, g, NULL);
            cJSON_Delete(g);
            return rc;
        }
        bool done = ended(cmd_str(g, "state"));
        if (done && c->json)
            cmd_print_json(g);
        cJSON_Delete(g);
        if (done)
            return MGR_EXIT_OK;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double secs = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (secs > limit)
            return cmd_error(c, "the guest has not stopped after %.0f s", secs);
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
}

static int one(Cmd *c, const Life *l, const char *id)
{
    const char *coll;
    cJSON *g = NULL, *reply = NULL;
    int rc = cmd_find_guest(c, id, &coll, &g);
    if (rc)
        return rc;
    char esc[256], target[384];
    cmd_escape(id, esc, sizeof esc);
    int st;
    if (!l->action) {
        snprintf(target, sizeof target, "/v1/%s/%s%s", coll, esc, l->force ? "?force=true" : "");
        st = cmd_call(c, "DELETE", target, NULL, &reply);
        if (st == 204 || st == 200) {
            if (c->json)
                cmd_print_json(g);   /* the guest as it was, since a removed one has no JSON left */
            else
                printf("%s\n", id);
            rc = MGR_EXIT_OK;
        }
    } else {
        snprintf(target, sizeof target, "/v1/%s/%s/actions", coll, esc);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "action", l->action);
        if (strcmp(l->action, "stop") == 0 && l->timeout_given)
            cJSON_AddNumberToObject(body, "timeout_s", (double)l->timeout_s);
        st = cmd_call(c, "POST", target, body, &reply);
        if (st == 200) {
            rc = MGR_EXIT_OK;
            bool wait = strcmp(l->action, "stop") == 0 && !l->no_wait && !ended(cmd_str(reply, "state"));
            if (wait) {
                snprintf(target, sizeof target, "/v1/%s/%s", coll, esc);
                rc = wait_ended(c, target, l);
            } else if (c->json) {
                cmd_print_json(reply);
            }
            if (rc == MGR_EXIT_OK && !c->json)
                printf("%s\n", id);
        }
    }
    if (st < 0)
        rc = MGR_EXIT_ERROR;
    else if (st >= 300)
        rc = cmd_fault(c, st, reply, NULL);
    cJSON_Delete(reply);
    cJSON_Delete(g);
    return rc;
}

static int life_verb(int argc, char **argv, const char *action, const char *usage, const OptDesc *opts)
{
    Cmd c = {0};
    Life l = {.action = action, .timeout_s = 30};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    if (!ops)
        return MGR_EXIT_ERROR;
    rc = cmd_begin(&c, argv[0], usage, opts, NULL, argc, argv, true, on_opt, &l, ops, &nops);
    if (rc < 0 && nops == 0)
        rc = cmd_usage_error(&c, "which guest? give one or more ids (lodge ps lists them)");
    if (rc < 0) {
        rc = MGR_EXIT_OK;
        for (int i = 0; i < nops; i++)
            if (one(&c, &l, ops[i]) != MGR_EXIT_OK)
                rc = MGR_EXIT_ERROR;
    }
    free(ops);
    cmd_end(&c);
    return rc;
}

int mgr_cmd_start(int argc, char **argv)
{
    return life_verb(argc, argv, "start", "usage: lodge start [--json] ID...\n\nStarts created guests.\n", NULL);
}

int mgr_cmd_pause(int argc, char **argv)
{
    return life_verb(argc, argv, "pause", "usage: lodge pause [--json] ID...\n\n"
                     "Pauses running guests: no guest instruction runs until resume.\n", NULL);
}

int mgr_cmd_resume(int argc, char **argv)
{
    return life_verb(argc, argv, "resume", "usage: lodge resume [--json] ID...\n\nResumes paused guests.\n", NULL);
}

int mgr_cmd_stop(int argc, char **argv)
{
    return life_verb(argc, argv, "stop", "usage: lodge stop [-t SECONDS] [--no-wait] [--json] ID...\n\n"
                     "Stops guests gracefully and waits until they have ended: a machine is asked to power off\n"
                     "(Ctrl-Alt-Del to its init), an instance is interrupted and ends as by proc_exit(143).\n"
                     "A guest still running after the timeout is killed.\n", stop_opts);
}

int mgr_cmd_kill(int argc, char **argv)
{
    return life_verb(argc, argv, "kill", "usage: lodge kill [--json] ID...\n\n"
                     "Ends guests at once (a machine's process is killed; an instance is dropped).\n", NULL);
}

int mgr_cmd_rm(int argc, char **argv)
{
    return life_verb(argc, argv, NULL, "usage: lodge rm [-f] [--json] ID...\n\n"
                     "Removes created, stopped or crashed guests and their files (with -f, any guest: it is\n"
                     "killed first).\n", rm_opts);
}
