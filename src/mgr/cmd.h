/* mgr/cmd.h: what the client verbs (ps, create, start, ... console) share: the common options (--socket,
 * --json), the exchange with the daemon, errors printed as `lodge VERB: message` (status 1; usage errors 2),
 * a clear message when no daemon answers, and finding a guest of either kind by its id. */
#ifndef LODGE_MGR_CMD_H
#define LODGE_MGR_CMD_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/opt.h"
#include "mgr/client.h"

#define CMD_TIMEOUT_MS 60000   /* the longest a verb waits for one answer (a module upload, a machine made) */

typedef struct Cmd {
    const char *verb;          /* "ps": messages start with "lodge ps: " */
    const char *usage;         /* the verb's --help text before its options */
    const OptDesc *tables[3];  /* the verb's option tables, for --help (the common options come last) */
    bool json;                 /* --json: print the API's JSON as is */
    char socket[108];
    Client client;
} Cmd;

/* The options every client verb takes. */
enum { CMD_OPT_SOCKET = 1000, CMD_OPT_JSON };
extern const OptDesc cmd_common_opts[];

typedef int (*CmdOptFn)(Cmd *c, void *ctx, const OptArg *a);   /* 0, or an exit status to stop with */

/* Sets up c and parses argv: the verb's own options go to fn, the common ones are handled here, operands
 * are collected (in argv order) into ops (room for argc). interleaved: operands and options may mix; else
 * the first operand ends the options and everything from it on is an operand. Returns -1 to go on, or the
 * exit status (0 after --help; 2 after a usage error, printed). */
int cmd_begin(Cmd *c, const char *verb, const char *usage, const OptDesc *t0, const OptDesc *t1, int argc,
              char **argv, bool interleaved, CmdOptFn fn, void *ctx, char **ops, int *nops);
void cmd_end(Cmd *c);

int cmd_usage_error(Cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cmd_error(Cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One request (body: JSON taken and freed, or NULL); the reply's JSON in *out (NULL when it has none).
 * Returns the HTTP status, or -1 after printing why the daemon could not be reached. */
int cmd_call(Cmd *c, const char *method, const char *target, cJSON *body, cJSON **out);
/* The same with raw bytes both ways; *reply is the caller's to free. */
int cmd_call_raw(Cmd *c, const char *method, const char *target, const char *ctype, const void *body, size_t len,
                 ClientReply *reply);
/* Prints a refused request as `lodge VERB: fault_message` (or the status and body); returns 1. */
int cmd_fault(Cmd *c, int status, const cJSON *reply, const char *raw);
/* Prints a transport failure (no daemon at the socket: how to start one); returns 1. */
int cmd_unreachable(Cmd *c);

/* The guest with this id: its collection ("machines" or "instances") and its JSON (the caller's). Returns 0,
 * or the exit status after printing why not (no such guest: 1). */
int cmd_find_guest(Cmd *c, const char *id, const char **collection, cJSON **guest);

/* Prints v as the API gave it (--json), indented, with a newline. */
void cmd_print_json(const cJSON *v);
/* Members of a JSON object, 0 / "" when absent or of another type. */
double cmd_num(const cJSON *obj, const char *name);
const char *cmd_str(const cJSON *obj, const char *name);
/* Percent-encodes an id or other text for a request target. */
void cmd_escape(const char *s, char *out, size_t n);

#endif
