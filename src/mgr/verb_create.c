/* verb_create.c: `lodge create machine [boot's options]` and `lodge create instance [run's options]
 * FILE.wasm ARGS...`: the same option tables as `lodge boot` and `lodge run` (cli/guestopts.h), turned into
 * the daemon's create requests. Paths become absolute here, since the daemon does not share our working
 * directory; a module is uploaded once (its id is its digest) and then shared by every instance made of it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/guestopts.h"
#include "mgr/cmd.h"
#include "mgr/mgr.h"
#include "mgr/sha256.h"

static const char usage[] =
    "usage: lodge create machine [OPTIONS]\n"
    "       lodge create instance [OPTIONS] FILE.wasm [ARGS...]\n"
    "\n"
    "Creates a guest in the daemon (state created; --start starts it too) and prints its id.\n"
    "A machine takes `lodge boot`'s options (without --kernel: the default guest, as boot); an instance\n"
    "takes `lodge run`'s, and the module FILE.wasm is uploaded once and shared by its instances.\n"
    "Sizes: 256M, 1G (K, M, G, T are binary units; a bare number is bytes). Files are given to the\n"
    "daemon by their absolute paths.\n";

enum { CR_NAME = 1, CR_CPU_WEIGHT, CR_CPU_MAX, CR_START };
static const OptDesc machine_own[] = {
    {CR_NAME, "--name", NULL, OPT_STR, "ID", "id", 0, 0, "the guest's id, [A-Za-z0-9_.-]{1,64} (default: generated)"},
    {CR_CPU_WEIGHT, "--cpu-weight", NULL, OPT_COUNT, "N", "CPU weight", 1, 10000,
     "share of CPU against other guests, 1 to 10000 (default 100)"},
    {CR_CPU_MAX, "--cpu-max", NULL, OPT_COUNT, "PCT", "CPU cap", 1, 100000,
     "cap in percent of one core (150: 1.5 cores; default none)"},
    {CR_START, "--start", NULL, OPT_FLAG, NULL, NULL, 0, 0, "start it at once"},
    {0},
};
static const OptDesc instance_own[] = {
    {CR_NAME, "--name", NULL, OPT_STR, "ID", "id", 0, 0, "the guest's id, [A-Za-z0-9_.-]{1,64} (default: generated)"},
    {CR_CPU_WEIGHT, "--cpu-weight", NULL, OPT_COUNT, "N", "CPU weight", 1, 10000,
     "share of CPU against other instances, 1 to 10000 (default 100)"},
    {CR_START, "--start", NULL, OPT_FLAG, NULL, NULL, 0, 0, "start it at once"},
    {0},
};

typedef struct Create {
    cJSON *req;          /* the create request being built */
    bool machine;
    const char *kernel, *initrd;
    bool have_initrd;
} Create;

/* An absolute path for the daemon; 0, or the exit status after printing why not. */
static int absolute(Cmd *c, const char *opt, const char *path, char *out)
{
    if (!realpath(path, out))
        return cmd_error(c, "%s %s: %s", opt, path, strerror(errno));
    return 0;
}

static cJSON *array_member(cJSON *obj, const char *name)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);
    return a ? a : cJSON_AddArrayToObject(obj, name);
}

static int common_opt(Cmd *c, Create *cr, const OptArg *a)
{
    switch (a->opt->id) {
    case CR_NAME:
        cJSON_AddStringToObject(cr->req, "id", a->str);
        return 0;
    case CR_CPU_WEIGHT:
    case CR_CPU_MAX: {
        cJSON *lim = cJSON_GetObjectItemCaseSensitive(cr->req, "limits");
        if (!cr->machine) {   /* instances carry cpu_weight at the top */
            cJSON_AddNumberToObject(cr->req, "cpu_weight", (double)a->num);
            return 0;
        }
        if (!lim)
            lim = cJSON_AddObjectToObject(cr->req, "limits");
        cJSON_AddNumberToObject(lim, a->opt->id == CR_CPU_MAX ? "cpu_max_percent" : "cpu_weight", (double)a->num);
        return 0;
    }
    case CR_START:
        cJSON_AddTrueToObject(cr->req, "start");
        return 0;
    }
    return -1;
}

static int machine_opt(Cmd *c, void *ctx, const OptArg *a)
{
    Create *cr = ctx;
    char path[PATH_MAX];
    int rc;
    const char *v = a->str;
    if (common_opt(c, cr, a) == 0)
        return 0;
    switch (a->opt->id) {
    case CLI_MOPT_KERNEL:
    case CLI_MOPT_INITRD:
        if ((rc = absolute(c, a->opt->name, v, path)))
            return rc;
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, a->opt->id == CLI_MOPT_KERNEL ? "kernel" : "initrd");
        cJSON_AddStringToObject(cr->req, a->opt->id == CLI_MOPT_KERNEL ? "kernel" : "initrd", path);
        if (a->opt->id == CLI_MOPT_INITRD)
            cr->have_initrd = true;
        return 0;
    case CLI_MOPT_APPEND:
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, "cmdline");
        cJSON_AddStringToObject(cr->req, "cmdline", v);
        return 0;
    case CLI_MOPT_MEM:
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, "mem_bytes");
        cJSON_AddNumberToObject(cr->req, "mem_bytes", (double)a->num);
        return 0;
    case CLI_MOPT_CPUS:
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, "cpus");
        cJSON_AddNumberToObject(cr->req, "cpus", (double)a->num);
        return 0;
    case CLI_MOPT_DISK: {
        char file[PATH_MAX];
        bool ro;
        cJSON *disks = array_member(cr->req, "disks");
        if (cJSON_GetArraySize(disks) == 4)
            return cmd_usage_error(c, "--disk %s: at most 4 disks", v);
        if (!cli_disk_spec(v, file, sizeof file, &ro))
            return cmd_usage_error(c, "--disk %s: expected FILE or FILE,ro", v);
        if ((rc = absolute(c, "--disk", file, path)))
            return rc;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "path", path);
        if (ro)
            cJSON_AddTrueToObject(d, "read_only");
        cJSON_AddItemToArray(disks, d);
        return 0;
    }
    case CLI_MOPT_NET:
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, "net");
        if (strcmp(v, "none") == 0)
            return 0;
        if (strncmp(v, "tap=", 4) != 0 || !v[4])
            return cmd_usage_error(c, "--net %s: expected tap=NAME or none", v);
        cJSON *net = cJSON_CreateObject();
        cJSON_AddStringToObject(net, "tap", v + 4);
        cJSON_AddItemToArray(array_member(cr->req, "net"), net);
        return 0;
    }
    return 0;
}

/* The default guest, as `lodge boot` finds it: $LODGE_GUEST_DIR, else guests/cache next to the build folder
 * of this program. 0, or the exit status after printing what is missing. */
static int default_guest(Cmd *c, Create *cr)
{
    char dir[PATH_MAX], file[PATH_MAX + 32], abs[PATH_MAX];
    const char *env = getenv("LODGE_GUEST_DIR");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 32);
        if (n <= 0)
            return cmd_error(c, "no --kernel, and this program's path is unknown: %s", strerror(errno));
        dir[n] = '\0';
        char *slash = strrchr(dir, '/');
        snprintf(slash ? slash : dir, sizeof dir - (size_t)(slash ? slash - dir : 0), "/../guests/cache");
    }
    snprintf(file, sizeof file, "%s/Image", dir);
    if (!realpath(file, abs))
        return cmd_error(c, "no --kernel and no default guest at %s\n  build it with `make guest`, or set "
                         "LODGE_GUEST_DIR", file);
    cJSON_AddStringToObject(cr->req, "kernel", abs);
    if (!cr->have_initrd) {
        snprintf(file, sizeof file, "%s/initramfs.cpio", dir);
        if (realpath(file, abs))
            cJSON_AddStringToObject(cr->req, "initrd", abs);
    }
    return 0;
}

/* POSTs the request to collection; prints the new guest's id (or its JSON). */
static int post_create(Cmd *c, const char *collection, cJSON *req)
{
    char target[64];
    snprintf(target, sizeof target, "/v1/%s", collection);
    cJSON *reply = NULL;
    int st = cmd_call(c, "POST", target, req, &reply);
    int rc;
    if (st < 0)
        rc = MGR_EXIT_ERROR;
    else if (st != 201 && st != 200)
        rc = cmd_fault(c, st, reply, NULL);
    else {
        if (c->json)
            cmd_print_json(reply);
        else
            printf("%s\n", cmd_str(reply, "id"));
        rc = MGR_EXIT_OK;
    }
    cJSON_Delete(reply);
    return rc;
}

static int create_machine(int argc, char **argv)
{
    Cmd c = {0};
    Create cr = {.req = cJSON_CreateObject(), .machine = true};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    if (!cr.req || !ops) {
        fprintf(stderr, "lodge create: out of memory\n");
        rc = MGR_EXIT_ERROR;
        goto out;
    }
    rc = cmd_begin(&c, "create", usage, cli_machine_opts, machine_own, argc, argv, true, machine_opt, &cr, ops,
                   &nops);
    if (rc >= 0)
        goto out;
    if (nops) {
        rc = cmd_usage_error(&c, "unexpected argument '%s' (a machine takes options only)", ops[0]);
        goto out;
    }
    if (!cJSON_GetObjectItemCaseSensitive(cr.req, "kernel") && (rc = default_guest(&c, &cr)))
        goto out;
    rc = post_create(&c, "machines", cr.req);
    cr.req = NULL;
out:
    cJSON_Delete(cr.req);
    free(ops);
    cmd_end(&c);
    return rc;
}

static int instance_opt(Cmd *c, void *ctx, const OptArg *a)
{
    Create *cr = ctx;
    const char *v = a->str;
    if (common_opt(c, cr, a) == 0)
        return 0;
    switch (a->opt->id) {
    case CLI_WOPT_DIR:
    case CLI_WOPT_DIR_RO:
    case CLI_WOPT_MAPDIR: {
        /* HOST[::GUEST], or GUEST::HOST for --mapdir; the guest's name defaults to HOST as typed, as in run. */
        bool reversed = a->opt->id == CLI_WOPT_MAPDIR;
        const char *sep = strstr(v, "::");
        char first[PATH_MAX], abs[PATH_MAX];
        if (reversed && !sep)
            return cmd_usage_error(c, "--mapdir wants GUEST::HOST, got '%s'", v);
        size_t fl = sep ? (size_t)(sep - v) : strlen(v);
        if (fl == 0 || fl >= sizeof first || (sep && !sep[2]))
            return cmd_usage_error(c, "bad directory mapping '%s'", v);
        memcpy(first, v, fl);
        first[fl] = '\0';
        const char *host = reversed ? sep + 2 : first, *guest = sep ? (reversed ? first : sep + 2) : first;
        int rc = absolute(c, a->opt->name, host, abs);
        if (rc)
            return rc;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "host", abs);
        cJSON_AddStringToObject(d, "guest", guest);
        if (a->opt->id == CLI_WOPT_DIR_RO)
            cJSON_AddTrueToObject(d, "read_only");
        cJSON_AddItemToArray(array_member(cr->req, "dirs"), d);
        return 0;
    }
    case CLI_WOPT_ENV: {
        cJSON *env = cJSON_GetObjectItemCaseSensitive(cr->req, "env");
        if (!env)
            env = cJSON_AddObjectToObject(cr->req, "env");
        const char *eq = strchr(v, '=');
        char name[256];
        size_t nl = eq ? (size_t)(eq - v) : strlen(v);
        if (nl == 0 || nl >= sizeof name)
            return cmd_usage_error(c, "bad --env '%s' (want NAME=VALUE or NAME)", v);
        memcpy(name, v, nl);
        name[nl] = '\0';
        const char *value = eq ? eq + 1 : getenv(name);
        if (!value)
            return 0;   /* as run: an unset variable is simply not passed */
        cJSON_DeleteItemFromObjectCaseSensitive(env, name);
        cJSON_AddStringToObject(env, name, value);
        return 0;
    }
    case CLI_WOPT_MAX_MEMORY:
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, "max_memory_bytes");
        cJSON_AddNumberToObject(cr->req, "max_memory_bytes", (double)a->num);
        return 0;
    case CLI_WOPT_FUEL:
        cJSON_DeleteItemFromObjectCaseSensitive(cr->req, "fuel");
        cJSON_AddNumberToObject(cr->req, "fuel", (double)a->num);
        return 0;
    }
    return 0;
}

static uint8_t *read_file(Cmd *c, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cmd_error(c, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    if (!buf || ferror(f)) {
        cmd_error(c, "%s: %s", path, buf ? "read error (is it a directory?)" : "out of memory");
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The module's id in the daemon, uploading it unless it is there already. 0, or the exit status. */
static int upload_module(Cmd *c, const char *file, char id[72])
{
    size_t len;
    uint8_t *bytes = read_file(c, file, &len);
    if (!bytes)
        return MGR_EXIT_ERROR;
    if (len < 4 || memcmp(bytes, "\0asm", 4) != 0) {
        bool text = len >= 1 && bytes[0] == '(';
        free(bytes);
        return cmd_error(c, "%s: not a WebAssembly binary module%s", file,
                         text ? " (text format: convert it with wat2wasm)" : "");
    }
    char hex[65], target[160];
    sha256_hex(bytes, len, hex);
    snprintf(id, 72, "m-%.16s", hex);
    snprintf(target, sizeof target, "/v1/modules/%s", id);
    cJSON *reply = NULL;
    int st = cmd_call(c, "GET", target, NULL, &reply);
    cJSON_Delete(reply);
    reply = NULL;
    int rc = MGR_EXIT_OK;
    if (st == 404) {
        snprintf(target, sizeof target, "/v1/modules?id=%s", id);
        ClientReply r;
        st = cmd_call_raw(c, "POST", target, "application/wasm", bytes, len, &r);
        /* 409: uploaded meanwhile by another client, which is as good. */
        if (st >= 0 && st != 201 && st != 200 && st != 409) {
            reply = r.body ? cJSON_ParseWithLength(r.body, r.len) : NULL;
            rc = cmd_fault(c, st, reply, r.body);
            cJSON_Delete(reply);
        }
        if (st >= 0)
            client_reply_free(&r);
    } else if (st != 200 && st >= 0) {
        rc = cmd_error(c, "looking up module %s: the daemon answered %d", id, st);
    }
    if (st < 0)
        rc = MGR_EXIT_ERROR;
    free(bytes);
    return rc;
}

static int create_instance(int argc, char **argv)
{
    Cmd c = {0};
    Create cr = {.req = cJSON_CreateObject()};
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops, rc;
    if (!cr.req || !ops) {
        fprintf(stderr, "lodge create: out of memory\n");
        rc = MGR_EXIT_ERROR;
        goto out;
    }
    rc = cmd_begin(&c, "create", usage, cli_wasm_opts, instance_own, argc, argv, false, instance_opt, &cr, ops,
                   &nops);
    if (rc >= 0)
        goto out;
    if (nops == 0) {
        rc = cmd_usage_error(&c, "missing FILE.wasm");
        goto out;
    }
    char module[72];
    if ((rc = upload_module(&c, ops[0], module)))
        goto out;
    cJSON_AddStringToObject(cr.req, "module", module);
    cJSON *args = cJSON_AddArrayToObject(cr.req, "args");
    for (int i = 1; i < nops; i++)
        cJSON_AddItemToArray(args, cJSON_CreateString(ops[i]));
    rc = post_create(&c, "instances", cr.req);
    cr.req = NULL;
out:
    cJSON_Delete(cr.req);
    free(ops);
    cmd_end(&c);
    return rc;
}

int mgr_cmd_create(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "machine") == 0)
        return create_machine(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "instance") == 0)
        return create_instance(argc - 1, argv + 1);
    if (argc >= 2 && mgr_is_help(argv[1])) {
        fputs(usage, stdout);
        printf("\n`lodge create machine --help` and `lodge create instance --help` list the options.\n");
        return MGR_EXIT_OK;
    }
    fprintf(stderr, "lodge create: %s%s%s\nusage: lodge create machine [OPTIONS]\n"
                    "       lodge create instance [OPTIONS] FILE.wasm [ARGS...]\n",
            argc >= 2 ? "unknown kind '" : "what kind of guest? machine or instance", argc >= 2 ? argv[1] : "",
            argc >= 2 ? "' (machine or instance)" : "");
    return MGR_EXIT_USAGE;
}
