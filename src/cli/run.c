/* cli/run.c: `lodge run`: run a WASI command module (its _start) or call one export with typed
 * arguments (--invoke), with the sandbox, limits and exit status that the README documents. An embedder
 * like any other: it uses lodge.h only (lodge_wasi_* for the system interface). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/guestopts.h"
#include "lodge.h"

#define MAX_LIST 256 /* --dir, --env and --tcplisten entries */

static const char run_usage_head[] =
    "usage: lodge run [OPTIONS] FILE.wasm [ARGS...]\n"
    "\n"
    "Run a WebAssembly module. A WASI command runs its _start with ARGS as its arguments, stdin,\n"
    "stdout and stderr wired through; the guest's exit code becomes lodge's. With --invoke, the\n"
    "named export is called with ARGS parsed by its parameter types, and its results are printed\n"
    "one per line. Options must come before FILE; everything after FILE goes to the guest.\n"
    "\n"
    "Sizes: 64M, 1G (K, M, G, T are binary units; a bare number is bytes).\n"
    "\n"
    "options:\n";

static const char run_usage_tail[] =
    "  -W max-memory-size=SIZE, -W max-wasm-stack=SIZE, -W fuel=N   wasmtime's spellings of the above\n"
    "  -S tcplisten=HOST:PORT    wasmtime's spelling of --tcplisten\n"
    "  -h, --help                this text\n"
    "\n"
    "The guest sees no file, directory, variable or socket that these options do not grant.\n"
    "Exit status: the guest's exit code (0..255); 1 the file is missing or the module is malformed,\n"
    "invalid or unlinkable; 2 bad options; 134 the guest trapped (the trap and a backtrace go to stderr).\n";

typedef struct RunOpts {
    lodge_wasi_dir_t dirs[MAX_LIST];
    char *dir_owned[MAX_LIST];
    int ndirs;
    const char *envs[MAX_LIST];
    char *env_owned[MAX_LIST];
    int nenvs;
    const char *listen[MAX_LIST];
    int nlisten;
    const char *invoke;
    const char *argv0;
    size_t max_memory, max_stack;
    uint32_t max_depth;
    uint64_t fuel;
} RunOpts;

static void free_opts(RunOpts *o)
{
    for (int i = 0; i < o->nenvs; i++)
        free(o->env_owned[i]);
    for (int i = 0; i < o->ndirs; i++)
        free(o->dir_owned[i]);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "lodge run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see lodge run --help)\n");
    return CLI_EXIT_USAGE;
}

/* HOST[::GUEST] (or, reversed, GUEST::HOST for --mapdir). */
static int add_dir(RunOpts *o, const char *spec, bool readonly, bool reversed)
{
    if (o->ndirs == MAX_LIST)
        return usage_error("too many directories (at most 256): %s", spec);
    const char *sep = strstr(spec, "::");
    lodge_wasi_dir_t *d = &o->dirs[o->ndirs];
    if (reversed && !sep)
        return usage_error("--mapdir wants GUEST::HOST, got '%s'", spec);
    if (sep) {
        char *first = strndup(spec, (size_t)(sep - spec));
        const char *second = sep + 2;
        if (!first || !*first || !*second) {
            free(first);
            return usage_error("bad directory mapping '%s'", spec);
        }
        d->host_path = reversed ? second : first;
        d->guest_path = reversed ? first : second;
        o->dir_owned[o->ndirs] = first;
    } else {
        if (!*spec)
            return usage_error("empty directory name%s", "");
        d->host_path = d->guest_path = spec;
    }
    d->read_only = readonly;
    o->ndirs++;
    return 0;
}

static int add_env(RunOpts *o, const char *kv)
{
    if (o->nenvs == MAX_LIST)
        return usage_error("too many --env (at most 256): %s", kv);
    if (kv[0] == '=' || kv[0] == '\0')
        return usage_error("bad --env '%s' (want NAME=VALUE or NAME)", kv);
    if (!strchr(kv, '=')) {
        const char *v = getenv(kv);
        if (!v)
            return 0; /* as wasmtime: an unset variable is simply not passed */
        size_t n = strlen(kv) + strlen(v) + 2;
        char *s = malloc(n);
        if (!s)
            return usage_error("out of memory%s", "");
        snprintf(s, n, "%s=%s", kv, v);
        o->env_owned[o->nenvs] = s;
        kv = s;
    }
    o->envs[o->nenvs++] = kv;
    return 0;
}

/* run's own options, beside the WebAssembly options it shares with `lodge create instance`. */
enum { RUN_INVOKE = 1, RUN_ARGV0, RUN_MAX_STACK, RUN_MAX_DEPTH, RUN_TCPLISTEN, RUN_W, RUN_S };
static const OptDesc run_opts[] = {
    {RUN_INVOKE, "--invoke", NULL, OPT_STR, "NAME", "export", 0, 0, "call export NAME instead of _start and print its results"},
    {RUN_ARGV0, "--argv0", NULL, OPT_STR, "NAME", "argv[0]", 0, 0, "the guest's argv[0] (default: FILE as given)"},
    {RUN_MAX_STACK, "--max-stack", NULL, OPT_SIZE, "SIZE", "stack size", 1024, 0, "limit the wasm value stack: 64K, 1M"},
    {RUN_MAX_DEPTH, "--max-call-depth", NULL, OPT_COUNT, "N", "call depth", 1, UINT32_MAX, "limit nested wasm calls (frames)"},
    {RUN_TCPLISTEN, "--tcplisten", NULL, OPT_STR, "HOST:PORT", "address", 0, 0,
     "give the guest a listening TCP socket (fd 3, 4, ... before dirs)"},
    {RUN_W, "-W", NULL, OPT_STR, "NAME=VALUE", "setting", 0, 0, NULL},
    {RUN_S, "-S", NULL, OPT_STR, "NAME=VALUE", "setting", 0, 0, NULL},
    {0},
};

static void run_usage(FILE *out)
{
    fputs(run_usage_head, out);
    opt_print_help(out, cli_wasm_opts);
    opt_print_help(out, run_opts);
    fputs(run_usage_tail, out);
}

static int add_listen(RunOpts *o, const char *v)
{
    if (o->nlisten == MAX_LIST)
        return usage_error("too many --tcplisten (at most 256): %s", v);
    o->listen[o->nlisten++] = v;
    return 0;
}

static int apply_opt(RunOpts *o, const OptArg *a);

/* -W NAME=VALUE and -S NAME=VALUE: wasmtime's spellings, parsed as the option they name. */
static int apply_wasmtime(RunOpts *o, const char *flag, const char *v)
{
    static const struct { const char *flag, *key; int id; } map[] = {
        {"-W", "max-memory-size", CLI_WOPT_MAX_MEMORY}, {"-W", "max-wasm-stack", RUN_MAX_STACK},
        {"-W", "fuel", CLI_WOPT_FUEL}, {"-S", "tcplisten", RUN_TCPLISTEN},
    };
    const char *eq = strchr(v, '=');
    if (!eq)
        return usage_error(flag[1] == 'W' ? "-W wants NAME=VALUE, got '%s'" : "-S wants NAME=VALUE, got '%s'", v);
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
        if (strcmp(flag, map[k].flag) != 0 || strncmp(v, map[k].key, (size_t)(eq - v)) != 0 ||
            map[k].key[eq - v] != '\0')
            continue;
        const OptDesc *d = opt_find(cli_wasm_opts, map[k].id);
        if (!d)
            d = opt_find(run_opts, map[k].id);
        /* Parsed as the option it names, with messages that name the spelling that was typed. */
        char spelled[64];
        snprintf(spelled, sizeof spelled, "%s %s", flag, map[k].key);
        OptDesc as_typed = *d;
        as_typed.name = spelled;
        OptArg a;
        char err[320];
        if (!opt_value(&as_typed, eq + 1, &a, err, sizeof err))
            return usage_error("%s", err);
        a.opt = d;
        return apply_opt(o, &a);
    }
    return usage_error(flag[1] == 'W' ? "unknown option -W %s" : "unknown option -S %s", v);
}

static int apply_opt(RunOpts *o, const OptArg *a)
{
    const char *v = a->str;
    switch (a->opt->id) {
    case CLI_WOPT_DIR: return add_dir(o, v, false, false);
    case CLI_WOPT_DIR_RO: return add_dir(o, v, true, false);
    case CLI_WOPT_MAPDIR: return add_dir(o, v, false, true);
    case CLI_WOPT_ENV: return add_env(o, v);
    case RUN_ARGV0: o->argv0 = v; return 0;
    case CLI_WOPT_MAX_MEMORY: o->max_memory = (size_t)a->num; return 0;
    case CLI_WOPT_FUEL: o->fuel = a->num; return 0;
    case RUN_INVOKE: o->invoke = v; return 0;
    case RUN_MAX_STACK: o->max_stack = (size_t)a->num; return 0;
    case RUN_MAX_DEPTH: o->max_depth = (uint32_t)a->num; return 0;
    case RUN_TCPLISTEN: return add_listen(o, v);
    case RUN_W: return apply_wasmtime(o, "-W", v);
    case RUN_S: return apply_wasmtime(o, "-S", v);
    }
    return 0;
}

/* Parse options up to FILE; returns the index of FILE, or -(exit status + 1). */
static int parse_opts(int argc, char **argv, RunOpts *o)
{
    OptParser p;
    OptArg a;
    OptResult r;
    opt_init(&p, argc, argv, cli_wasm_opts, run_opts, NULL);
    while ((r = opt_next(&p, &a)) == OPT_OPTION) {
        int rc = apply_opt(o, &a);
        if (rc)
            return -(rc + 1);
    }
    if (r == OPT_HELP) {
        run_usage(stdout);
        return -(CLI_EXIT_OK + 1);
    }
    if (r == OPT_ERROR)
        return -(usage_error("%s", p.err) + 1);
    return p.i;
}

/* ---- printing values as wasmtime does --------------------------------------------------------- */

/* The shortest decimal that reads back as the same float, written without an exponent
 * (Rust's Display for f32/f64, which wasmtime uses). */
static void format_float(double v, bool single, char *out, size_t cap)
{
    if (isnan(v)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    const char *sign = signbit(v) ? "-" : "";
    v = fabs(v);
    if (v == 0) {
        snprintf(out, cap, "%s0", sign);
        return;
    }
    char e[64];
    int maxp = single ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, v);
        if (single ? (strtof(e, NULL) == (float)v) : (strtod(e, NULL) == v))
            break;
    }
    /* e is d[.ddd]e[+-]X: split into digits and exponent. */
    char digits[32];
    size_t nd = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char buf[400];
    size_t o = 0;
    if (exp >= (int)nd - 1) {
        memcpy(buf, digits, nd);
        o = nd;
        for (int k = 0; k < exp - ((int)nd - 1); k++)
            buf[o++] = '0';
    } else if (exp >= 0) {
        memcpy(buf, digits, (size_t)exp + 1);
        o = (size_t)exp + 1;
        buf[o++] = '.';
        memcpy(buf + o, digits + exp + 1, nd - (size_t)exp - 1);
        o += nd - (size_t)exp - 1;
    } else {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int k = 0; k < -exp - 1; k++)
            buf[o++] = '0';
        memcpy(buf + o, digits, nd);
        o += nd;
    }
    buf[o] = '\0';
    snprintf(out, cap, "%s%s", sign, buf);
}

static void print_val(const lodge_val_t *v)
{
    char b[420];
    switch (v->type) {
    case LODGE_I32: printf("%" PRId32 "\n", v->of.i32); break;
    case LODGE_I64: printf("%" PRId64 "\n", v->of.i64); break;
    case LODGE_F32: {
        float f;
        memcpy(&f, &v->of.f32_bits, 4);
        format_float(f, true, b, sizeof b);
        printf("%s\n", b);
        break;
    }
    case LODGE_F64: {
        double d;
        memcpy(&d, &v->of.f64_bits, 8);
        format_float(d, false, b, sizeof b);
        printf("%s\n", b);
        break;
    }
    case LODGE_FUNCREF: printf("%s\n", v->of.func ? "<funcref>" : "<null funcref>"); break;
    case LODGE_EXTERNREF: printf("%s\n", v->of.ext ? "<externref>" : "<null externref>"); break;
    default: printf("<v128>\n"); break;
    }
}

static const char *type_name(lodge_valtype_t t)
{
    switch (t) {
    case LODGE_I32: return "i32";
    case LODGE_I64: return "i64";
    case LODGE_F32: return "f32";
    case LODGE_F64: return "f64";
    case LODGE_V128: return "v128";
    case LODGE_FUNCREF: return "funcref";
    default: return "externref";
    }
}

static bool parse_val(const char *s, lodge_valtype_t t, lodge_val_t *v)
{
    char *end;
    errno = 0;
    v->type = t;
    switch (t) {
    case LODGE_I32: {
        long long x = strtoll(s, &end, 0);
        if (*s == '\0' || *end || errno || x < INT32_MIN || x > (long long)UINT32_MAX)
            return false;
        v->of.i32 = (int32_t)(uint32_t)x;
        return true;
    }
    case LODGE_I64: {
        long long x = strtoll(s, &end, 0);
        if (errno == ERANGE && *s != '-') {
            errno = 0;
            unsigned long long u = strtoull(s, &end, 0);
            x = (long long)u;
        }
        if (*s == '\0' || *end || errno)
            return false;
        v->of.i64 = (int64_t)x;
        return true;
    }
    case LODGE_F32: {
        float f = strtof(s, &end);
        if (*s == '\0' || *end)
            return false;
        memcpy(&v->of.f32_bits, &f, 4);
        return true;
    }
    case LODGE_F64: {
        double d = strtod(s, &end);
        if (*s == '\0' || *end)
            return false;
        memcpy(&v->of.f64_bits, &d, 8);
        return true;
    }
    default:
        return false;
    }
}

/* ---- running ---------------------------------------------------------------------------------- */

static int report_failure(const char *file, const lodge_error_t *err)
{
    if (err->status == LODGE_ERR_EXIT)
        return err->exit_code & 0xFF;
    if (err->status == LODGE_ERR_TRAP) {
        const char *kind = lodge_trap_name(err->trap);
        if (err->message[0] && strcmp(err->message, kind) != 0)
            fprintf(stderr, "lodge: %s: trap: %s (%s)\n", file, kind, err->message);
        else
            fprintf(stderr, "lodge: %s: trap: %s\n", file, kind);
        if (err->backtrace[0]) {
            fprintf(stderr, "wasm backtrace:\n%s", err->backtrace);
            size_t n = strlen(err->backtrace);
            if (err->backtrace[n - 1] != '\n')
                fputc('\n', stderr);
        }
        return CLI_EXIT_TRAP;
    }
    if (err->status == LODGE_ERR_MALFORMED || err->status == LODGE_ERR_INVALID)
        fprintf(stderr, "lodge: %s: %s: %s\n", file, err->status == LODGE_ERR_MALFORMED ? "malformed" : "invalid",
                err->message); /* the message carries the byte offset */
    else
        fprintf(stderr, "lodge: %s: %s\n", file, err->message[0] ? err->message : "failed");
    return CLI_EXIT_ERROR;
}

static int call_export(lodge_store_t *store, lodge_instance_t *inst, const char *file, const char *name,
                       int nargs, char **args, bool print)
{
    lodge_extern_t ext;
    if (!lodge_instance_export(inst, name, &ext) || ext.kind != LODGE_EXTERN_FUNC) {
        fprintf(stderr, "lodge: %s: no exported function '%s'\n", file, name);
        return CLI_EXIT_ERROR;
    }
    lodge_functype_t ft;
    lodge_func_type(ext.of.func, &ft);
    if ((uint32_t)nargs != ft.nparams) {
        fprintf(stderr, "lodge run: '%s' takes %u argument%s, %d given\n", name, ft.nparams,
                ft.nparams == 1 ? "" : "s", nargs);
        return CLI_EXIT_USAGE;
    }
    lodge_val_t *vals = calloc((size_t)ft.nparams + ft.nresults + 1, sizeof *vals);
    if (!vals) {
        fprintf(stderr, "lodge: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    lodge_val_t *res = vals + ft.nparams;
    for (uint32_t i = 0; i < ft.nparams; i++) {
        if (!parse_val(args[i], ft.params[i], &vals[i])) {
            fprintf(stderr, "lodge run: argument %u of '%s': '%s' is not a valid %s\n", i + 1, name, args[i],
                    type_name(ft.params[i]));
            free(vals);
            return CLI_EXIT_USAGE;
        }
    }
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    int rc = CLI_EXIT_OK;
    fflush(stdout);
    if (!lodge_func_call(store, ext.of.func, vals, ft.nparams, res, ft.nresults, &err)) {
        rc = report_failure(file, &err);
    } else if (print) {
        for (uint32_t i = 0; i < ft.nresults; i++)
            print_val(&res[i]);
    }
    free(vals);
    return rc;
}

/* The entry point of a command (_start) or a reactor (_initialize), as lodge_wasi_run picks it. */
static int run_entry(lodge_wasi_t *wasi, lodge_instance_t *inst, const char *file)
{
    lodge_extern_t ext;
    if (!(lodge_instance_export(inst, "_start", &ext) && ext.kind == LODGE_EXTERN_FUNC) &&
        !(lodge_instance_export(inst, "_initialize", &ext) && ext.kind == LODGE_EXTERN_FUNC)) {
        fprintf(stderr, "lodge: %s: no _start export; name a function to call with --invoke NAME\n", file);
        return CLI_EXIT_ERROR;
    }
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    int code = 0;
    fflush(stdout);
    if (!lodge_wasi_run(wasi, inst, &code, &err))
        return report_failure(file, &err);
    return code & 0xFF;
}

int cli_run(int argc, char **argv)
{
    RunOpts o;
    memset(&o, 0, sizeof o);
    int fi = parse_opts(argc, argv, &o);
    if (fi < 0 || fi >= argc) {
        free_opts(&o);
        return fi < 0 ? -fi - 1 : usage_error("missing FILE.wasm%s", "");
    }
    const char *file = argv[fi];
    int gargc = argc - fi;   /* the guest's argv: FILE (or --argv0) then ARGS */
    char **gargv = argv + fi;
    int rc = CLI_EXIT_ERROR;
    lodge_error_t err;
    memset(&err, 0, sizeof err);

    size_t len;
    uint8_t *bytes = cli_load_module_bytes(file, &len);
    if (!bytes) {
        free_opts(&o);
        return CLI_EXIT_ERROR;
    }
    lodge_config_t cfg = {.max_call_depth = o.max_depth, .max_value_stack = o.max_stack};
    lodge_engine_t *engine = lodge_engine_new(&cfg);
    lodge_module_t *module = NULL;
    lodge_store_t *store = NULL;
    const char **gv = NULL;
    if (!engine) {
        fprintf(stderr, "lodge: out of memory\n");
        goto out;
    }
    module = lodge_module_new(engine, bytes, len, &err);
    free(bytes);
    bytes = NULL;
    if (!module) {
        rc = report_failure(file, &err);
        goto out;
    }
    lodge_store_limits_t limits = {.max_memory = o.max_memory, .fuel = o.fuel};
    store = lodge_store_new(engine, &limits);
    gv = malloc(((size_t)gargc + 1) * sizeof *gv);
    if (!store || !gv) {
        fprintf(stderr, "lodge: out of memory\n");
        goto out;
    }
    gv[0] = o.argv0 ? o.argv0 : file;
    for (int i = 1; i < gargc; i++)
        gv[i] = gargv[i];
    lodge_wasi_config_t wc = {
        .argc = gargc, .argv = gv, .envc = o.nenvs, .env = o.envs, .ndirs = o.ndirs, .dirs = o.dirs,
        .nlisten = o.nlisten, .listen = o.listen, .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2,
    };
    /* The context lives in the store (on its memory budget) and goes with it. */
    lodge_wasi_t *wasi = lodge_wasi_new(store, &wc, &err);
    if (!wasi) {
        fprintf(stderr, "lodge: %s\n", err.message);
        goto out;
    }
    lodge_instance_t *inst = lodge_wasi_instantiate(wasi, module, &err);
    if (!inst) {
        rc = report_failure(file, &err);
        goto out;
    }
    if (o.invoke) {
        /* A reactor is initialised first, as wasmtime does. */
        lodge_extern_t ext;
        bool has_init = lodge_instance_export(inst, "_initialize", &ext) && ext.kind == LODGE_EXTERN_FUNC;
        if (has_init && strcmp(o.invoke, "_initialize") != 0) {
            rc = call_export(store, inst, file, "_initialize", 0, NULL, false);
            if (rc != CLI_EXIT_OK)
                goto out;
        }
        rc = call_export(store, inst, file, o.invoke, gargc - 1, gargv + 1, true);
    } else {
        rc = run_entry(wasi, inst, file);
    }
out:
    fflush(stdout);
    free(bytes);
    free(gv);
    lodge_store_delete(store);
    lodge_module_delete(module);
    lodge_engine_delete(engine);
    free_opts(&o);
    return rc;
}
