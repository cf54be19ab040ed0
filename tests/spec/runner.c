/* runner.c: the WebAssembly spec test runner. Reads one wast2json script (a JSON command list plus the
 * .wasm/.wat files beside it), runs every command against Lodge through include/lodge.h with the
 * `spectest` host module, and prints the failures and one line `NAME: P passed, F failed, S skipped`. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lodge.h"
#include "spec.h"

/* Text modules (assert_malformed/assert_invalid of `module quote`) need the WAT parser; use it when
 * the tree has one, else count those commands as skipped with the reason. */
#if defined(__has_include)
#if __has_include("wat/wat.h")
#include "wat/wat.h"
#define RUNNER_HAVE_WAT 1
#endif
#endif
#ifndef RUNNER_HAVE_WAT
#define RUNNER_HAVE_WAT 0
#endif

/* ---- Small helpers --------------------------------------------------------------------------- */

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Reads a whole file; NULL with errno set on failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* ---- The runner's state ----------------------------------------------------------------------- */

/* A name bound to an instance: `(module $M ...)` and `(register "as" $M)`. */
typedef struct Binding {
    char *name;
    lodge_instance_t *inst;
} Binding;

typedef struct Bindings {
    Binding *v;
    size_t n, cap;
} Bindings;

typedef enum SkipReason {
    SKIP_TEXT_MODULE,
    SKIP_V128,
    SKIP_EXPECTED_FAILURE,
    SKIP_COUNT
} SkipReason;

static const char *const skip_reason_text[SKIP_COUNT] = {
    [SKIP_TEXT_MODULE] = "text module: needs the WAT parser (src/wat/), not in this build yet",
    [SKIP_V128] = "v128 value: SIMD not implemented yet",
    [SKIP_EXPECTED_FAILURE] = "expected failure listed in tests/spec/skip.txt",
};

typedef struct Runner {
    lodge_engine_t *engine;
    lodge_store_t *store;
    Spectest spectest;
    lodge_instance_t *current;  /* the last module defined; NULL after one failed */
    unsigned current_line;      /* where it was defined, for messages */
    bool current_failed;
    Bindings named, registered;
    lodge_module_t **modules;   /* kept until the store is gone: failed instances may have left
                                 * functions in imported tables */
    size_t nmodules, capmodules;
    char *dir;                  /* folder of the JSON file, with a trailing '/' */
    char *name;                 /* the script's name in the output */
    Text disagreement;          /* set by load() when the two module checks disagree */
    bool verbose;
    bool bounds_checks;         /* run with explicit bounds checks instead of guard pages */
    uint64_t fuel;              /* the store's fuel (0 = unlimited), to run the metered paths */
    unsigned max_details, details;
    const long *xfail;          /* script lines expected to fail (skip.txt), target: none */
    size_t nxfail;
    unsigned passed, failed, skipped;
    unsigned msg_mismatch, text_mismatch, trap_mismatch; /* binary modules, text modules, traps */
    unsigned skips[SKIP_COUNT];
} Runner;

/* How one command went. FAIL and SKIP carry a one-line explanation. */
typedef enum Outcome { OUT_PASS, OUT_FAIL, OUT_SKIP } Outcome;

typedef struct Result {
    Outcome out;
    SkipReason skip;
    Text why;
} Result;

static Outcome fail(Result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static Outcome fail(Result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(res->why.s + res->why.n, sizeof res->why.s - res->why.n, fmt, ap);
    va_end(ap);
    if (k > 0)
        res->why.n = (size_t)k < sizeof res->why.s - res->why.n ? res->why.n + (size_t)k : sizeof res->why.s - 1;
    return res->out = OUT_FAIL;
}

static Outcome skip(Result *res, SkipReason reason)
{
    res->skip = reason;
    return res->out = OUT_SKIP;
}

static bool bind(Bindings *b, const char *name, lodge_instance_t *inst)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        Binding *nv = realloc(b->v, cap * sizeof *nv);
        if (!nv)
            return false;
        b->v = nv;
        b->cap = cap;
    }
    char *d = dup_string(name);
    if (!d)
        return false;
    b->v[b->n++] = (Binding){d, inst};
    return true;
}

/* The newest binding wins: scripts may reuse a name. */
static lodge_instance_t *lookup(const Bindings *b, const char *name, bool *found)
{
    for (size_t i = b->n; i-- > 0;)
        if (strcmp(b->v[i].name, name) == 0) {
            *found = true;
            return b->v[i].inst;
        }
    *found = false;
    return NULL;
}

static void bindings_free(Bindings *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].name);
    free(b->v);
}

static bool keep_module(Runner *r, lodge_module_t *m)
{
    if (r->nmodules == r->capmodules) {
        size_t cap = r->capmodules ? r->capmodules * 2 : 64;
        lodge_module_t **nv = realloc(r->modules, cap * sizeof *nv);
        if (!nv)
            return false;
        r->modules = nv;
        r->capmodules = cap;
    }
    r->modules[r->nmodules++] = m;
    return true;
}

/* A wast2json value object `{"type": T, "value": V}`. */
static ValueProblem parse_value(const cJSON *j, bool expected, Expect *out, Text *why)
{
    return value_parse(json_str(j, "type"), json_str(j, "value"), expected, out, why);
}

/* ---- Modules ------------------------------------------------------------------------------------ */

static const char *status_name(lodge_status_t s)
{
    switch (s) {
    case LODGE_OK: return "ok";
    case LODGE_ERR_MALFORMED: return "malformed";
    case LODGE_ERR_INVALID: return "invalid";
    case LODGE_ERR_UNLINKABLE: return "unlinkable";
    case LODGE_ERR_TRAP: return "trap";
    case LODGE_ERR_EXIT: return "exit";
    case LODGE_ERR_NOMEM: return "out of memory";
    case LODGE_ERR_IO: return "i/o error";
    case LODGE_ERR_ARG: return "bad argument";
    }
    return "?";
}

static void text_add_error(Text *t, const lodge_error_t *err)
{
    text_add(t, "%s", status_name(err->status));
    if (err->status == LODGE_ERR_TRAP)
        text_add(t, " (%s)", lodge_trap_name(err->trap));
    text_add(t, ": ");
    text_add_quoted(t, err->message);
    if ((err->status == LODGE_ERR_MALFORMED || err->status == LODGE_ERR_INVALID) && err->offset)
        text_add(t, " at offset %zu", err->offset);
}

/* Reads the binary of a script module, converting a .wat text module with the WAT parser (which fails
 * with LODGE_ERR_MALFORMED, as a decoder would). */
static bool module_bytes(Runner *r, const char *file, uint8_t **bytes, size_t *len, lodge_error_t *err)
{
    size_t plen = strlen(r->dir) + strlen(file) + 1;
    char *path = malloc(plen);
    if (!path)
        return lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
    snprintf(path, plen, "%s%s", r->dir, file);
    uint8_t *data = read_file(path, len);
    if (!data) {
        lodge_error_set(err, LODGE_ERR_IO, "%s: %s", path, strerror(errno));
        free(path);
        return false;
    }
    free(path);
    size_t fl = strlen(file);
    if (fl > 4 && strcmp(file + fl - 4, ".wat") == 0) {
#if RUNNER_HAVE_WAT
        uint8_t *bin = NULL;
        size_t blen = 0;
        bool ok = wat_to_wasm((const char *)data, *len, &bin, &blen, err);
        free(data);
        if (!ok)
            return false;
        *bytes = bin;
        *len = blen;
        return true;
#else
        free(data);
        return lodge_error_set(err, LODGE_ERR_ARG, "no WAT parser");
#endif
    }
    *bytes = data;
    return true;
}

/* Resolves the imports of m from `spectest` and the registered instances, then instantiates it.
 * A missing module or field is this runner's "unknown import"; type checks are Lodge's. */
static lodge_instance_t *instantiate(Runner *r, lodge_module_t *m, lodge_error_t *err)
{
    uint32_t n = lodge_module_num_imports(m);
    lodge_extern_t *imports = calloc(n ? n : 1, sizeof *imports);
    if (!imports) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        lodge_import_desc_t d;
        bool found = false;
        lodge_module_import(m, i, &d);
        if (strcmp(d.module, "spectest") == 0) {
            found = spectest_export(&r->spectest, d.name, &imports[i]);
        } else {
            bool registered;
            lodge_instance_t *from = lookup(&r->registered, d.module, &registered);
            found = registered && lodge_instance_export_n(from, d.name, d.name_len, &imports[i]);
        }
        if (!found) {
            lodge_error_set(err, LODGE_ERR_UNLINKABLE, "unknown import \"%s\" \"%s\"", d.module, d.name);
            free(imports);
            return NULL;
        }
    }
    lodge_instance_t *inst = lodge_instance_new(r->store, m, imports, n, err);
    free(imports);
    return inst;
}

/* Decodes, validates and (when `link`) instantiates a script module. On failure err says which stage
 * failed through its status; *decoded tells whether lodge_module_new succeeded. */
static lodge_instance_t *load(Runner *r, const char *file, bool link, lodge_error_t *err, bool *decoded)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    *decoded = false;
    memset(err, 0, sizeof *err);
    if (!module_bytes(r, file, &bytes, &len, err))
        return NULL;
    /* lodge_module_validate is a second public path to the same verdict: it must agree. */
    lodge_error_t verr;
    memset(&verr, 0, sizeof verr);
    bool valid = lodge_module_validate(r->engine, bytes, len, &verr);
    lodge_module_t *m = lodge_module_new(r->engine, bytes, len, err);
    free(bytes);
    if (valid != (m != NULL) || (!valid && verr.status != err->status)) {
        Text t = {.n = 0};
        text_add(&t, "lodge_module_validate says ");
        if (valid)
            text_add(&t, "valid");
        else
            text_add_error(&t, &verr);
        text_add(&t, ", lodge_module_new says ");
        if (m)
            text_add(&t, "ok");
        else
            text_add_error(&t, err);
        r->disagreement = t;
    }
    if (!m)
        return NULL;
    *decoded = true;
    if (!keep_module(r, m)) {
        lodge_module_delete(m);
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (!link)
        return NULL;
    return instantiate(r, m, err);
}

/* ---- Actions ------------------------------------------------------------------------------------ */

/* Looks up an export by a script name, whose NUL_STANDIN bytes stand for NUL. */
static bool export_named(const lodge_instance_t *inst, const char *field, lodge_extern_t *out)
{
    size_t len = strlen(field);
    char *name = malloc(len + 1);
    if (!name)
        return false;
    for (size_t i = 0; i <= len; i++)
        name[i] = (unsigned char)field[i] == NUL_STANDIN ? 0 : field[i];
    bool ok = lodge_instance_export_n(inst, name, len, out);
    free(name);
    return ok;
}

/* The instance an action or register names: `$M`, or the last module defined. */
static lodge_instance_t *target(Runner *r, const char *module, Result *res)
{
    if (module) {
        bool found;
        lodge_instance_t *inst = lookup(&r->named, module, &found);
        if (!found)
            fail(res, "no module named %s", module);
        else if (!inst)
            fail(res, "module %s failed to load", module);
        return inst;
    }
    if (!r->current) {
        if (r->current_failed)
            fail(res, "the module at line %u failed to load", r->current_line);
        else
            fail(res, "no module defined yet");
    }
    return r->current;
}

/* Runs an invoke or get. On OUT_PASS, *results (malloc'd, nres values of the types in *types) hold
 * the results; a trap is OUT_PASS with *trapped set and err filled, so each assertion judges it. */
typedef struct ActionResult {
    lodge_val_t *vals;
    lodge_valtype_t *types;
    size_t n;
    bool trapped;
    lodge_error_t err;
} ActionResult;

static void describe_action(Text *t, const cJSON *action)
{
    const char *type = json_str(action, "type"), *module = json_str(action, "module");
    const char *field = json_str(action, "field");
    text_add(t, "%s ", type ? type : "?");
    if (module)
        text_add(t, "%s.", module);
    text_add_quoted(t, field ? field : "?");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
    if (type && strcmp(type, "invoke") == 0) {
        const cJSON *a;
        bool first = true;
        text_add(t, "(");
        cJSON_ArrayForEach(a, args)
        {
            Expect e;
            Text ignore = {.n = 0};
            if (!first)
                text_add(t, ", ");
            first = false;
            if (parse_value(a, false, &e, &ignore) == VALUE_OK)
                value_print(t, &e.val);
            else
                text_add(t, "%s:?", json_str(a, "type") ? json_str(a, "type") : "?");
        }
        text_add(t, ")");
    }
}

static Outcome run_action(Runner *r, const cJSON *action, ActionResult *ar, Result *res)
{
    memset(ar, 0, sizeof *ar);
    const char *type = json_str(action, "type"), *field = json_str(action, "field");
    if (!type || !field)
        return fail(res, "action without type or field");
    lodge_instance_t *inst = target(r, json_str(action, "module"), res);
    if (!inst)
        return OUT_FAIL;
    lodge_extern_t ext;
    if (!export_named(inst, field, &ext)) {
        text_add(&res->why, "no export ");
        text_add_quoted(&res->why, field);
        return res->out = OUT_FAIL;
    }

    if (strcmp(type, "get") == 0) {
        if (ext.kind != LODGE_EXTERN_GLOBAL)
            return fail(res, "export \"%s\" is not a global", field);
        ar->vals = malloc(sizeof *ar->vals);
        ar->types = malloc(sizeof *ar->types);
        if (!ar->vals || !ar->types)
            return fail(res, "out of memory");
        bool mut;
        ar->vals[0] = lodge_global_get(ext.of.global);
        lodge_global_type(ext.of.global, &ar->types[0], &mut);
        ar->n = 1;
        return OUT_PASS;
    }
    if (strcmp(type, "invoke") != 0)
        return fail(res, "unknown action type %s", type);
    if (ext.kind != LODGE_EXTERN_FUNC)
        return fail(res, "export \"%s\" is not a function", field);

    lodge_functype_t ft;
    lodge_func_type(ext.of.func, &ft);
    const cJSON *jargs = cJSON_GetObjectItemCaseSensitive(action, "args");
    size_t nargs = (size_t)cJSON_GetArraySize(jargs);
    if (nargs != ft.nparams)
        return fail(res, "function takes %" PRIu32 " arguments, script passes %zu", ft.nparams, nargs);
    lodge_val_t *args = calloc(nargs ? nargs : 1, sizeof *args);
    ar->vals = calloc(ft.nresults ? ft.nresults : 1, sizeof *ar->vals);
    ar->types = calloc(ft.nresults ? ft.nresults : 1, sizeof *ar->types);
    if (!args || !ar->vals || !ar->types) {
        free(args);
        return fail(res, "out of memory");
    }
    size_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, jargs)
    {
        Expect e;
        ValueProblem p = parse_value(a, false, &e, &res->why);
        if (p != VALUE_OK) {
            free(args);
            return p == VALUE_SKIP_V128 ? skip(res, SKIP_V128) : (res->out = OUT_FAIL);
        }
        if (e.val.type != ft.params[i]) {
            free(args);
            return fail(res, "argument %zu is %s, the function wants %s", i, value_type_name(e.val.type),
                        value_type_name(ft.params[i]));
        }
        args[i++] = e.val;
    }
    for (i = 0; i < ft.nresults; i++) {
        ar->types[i] = ft.results[i];
        if (ft.results[i] == LODGE_V128) {
            free(args);
            return skip(res, SKIP_V128);
        }
    }
    ar->n = ft.nresults;
    if (!lodge_func_call(r->store, ext.of.func, args, nargs, ar->vals, ar->n, &ar->err)) {
        ar->trapped = true;
        if (ar->err.status != LODGE_ERR_TRAP) {
            free(args);
            Text e = {.n = 0};
            text_add_error(&e, &ar->err);
            return fail(res, "call failed without a trap: %s", e.s);
        }
    }
    free(args);
    return OUT_PASS;
}

static void action_result_free(ActionResult *ar)
{
    free(ar->vals);
    free(ar->types);
}

/* ---- Commands ----------------------------------------------------------------------------------- */

/* Message checks are informative: a mismatch is counted and shown with -v, never a failure. */
static bool message_matches(const char *expected, const char *got)
{
    return !expected || strstr(got, expected) != NULL;
}

static void note_mismatch(Runner *r, unsigned line, const char *what, const char *expected, const char *got)
{
    if (!r->verbose)
        return;
    Text t = {.n = 0};
    text_add(&t, "  line %u: %s mismatch: expected ", line, what);
    text_add_quoted(&t, expected ? expected : "");
    text_add(&t, ", got ");
    text_add_quoted(&t, got);
    printf("%s\n", t.s);
}

static Outcome cmd_module(Runner *r, const cJSON *c, unsigned line, Result *res)
{
    const char *file = json_str(c, "filename"), *name = json_str(c, "name");
    lodge_error_t err;
    bool decoded;
    if (!file)
        return fail(res, "module without filename");
    r->current = load(r, file, true, &err, &decoded);
    r->current_line = line;
    r->current_failed = r->current == NULL;
    if (name && !bind(&r->named, name, r->current))
        return fail(res, "out of memory");
    if (!r->current) {
        text_add_error(&res->why, &err);
        return res->out = OUT_FAIL;
    }
    return OUT_PASS;
}

static Outcome cmd_register(Runner *r, const cJSON *c, unsigned line, Result *res)
{
    const char *as = json_str(c, "as");
    if (!as)
        return fail(res, "register without \"as\"");
    lodge_instance_t *inst = target(r, json_str(c, "name"), res);
    if (!inst)
        return OUT_FAIL;
    if (!bind(&r->registered, as, inst))
        return fail(res, "out of memory");
    return OUT_PASS;
}

static Outcome cmd_action(Runner *r, const cJSON *c, unsigned line, Result *res)
{
    ActionResult ar;
    Outcome o = run_action(r, cJSON_GetObjectItemCaseSensitive(c, "action"), &ar, res);
    if (o == OUT_PASS && ar.trapped) {
        text_add(&res->why, "trapped: ");
        text_add_error(&res->why, &ar.err);
        o = res->out = OUT_FAIL;
    }
    action_result_free(&ar);
    return o;
}

static Outcome cmd_assert_return(Runner *r, const cJSON *c, unsigned line, Result *res)
{
    ActionResult ar;
    Outcome o = run_action(r, cJSON_GetObjectItemCaseSensitive(c, "action"), &ar, res);
    if (o != OUT_PASS)
        goto done;
    if (ar.trapped) {
        text_add(&res->why, "trapped: ");
        text_add_error(&res->why, &ar.err);
        o = res->out = OUT_FAIL;
        goto done;
    }
    const cJSON *jexp = cJSON_GetObjectItemCaseSensitive(c, "expected");
    size_t nexp = (size_t)cJSON_GetArraySize(jexp);
    Expect *exp = calloc(nexp ? nexp : 1, sizeof *exp);
    if (!exp) {
        o = fail(res, "out of memory");
        goto done;
    }
    size_t i = 0;
    const cJSON *e;
    bool ok = nexp == ar.n;
    cJSON_ArrayForEach(e, jexp)
    {
        ValueProblem p = parse_value(e, true, &exp[i], &res->why);
        if (p != VALUE_OK) {
            free(exp);
            o = p == VALUE_SKIP_V128 ? skip(res, SKIP_V128) : (res->out = OUT_FAIL);
            goto done;
        }
        if (i < ar.n && !value_matches(&exp[i], ar.types[i], &ar.vals[i]))
            ok = false;
        i++;
    }
    if (!ok) {
        text_add(&res->why, "expected (");
        for (i = 0; i < nexp; i++) {
            text_add(&res->why, i ? ", " : "");
            value_print_expect(&res->why, &exp[i]);
        }
        text_add(&res->why, "), got (");
        for (i = 0; i < ar.n; i++) {
            text_add(&res->why, i ? ", " : "");
            lodge_val_t v = ar.vals[i];
            v.type = ar.types[i];
            value_print(&res->why, &v);
        }
        text_add(&res->why, ")");
        o = res->out = OUT_FAIL;
    }
    free(exp);
done:
    action_result_free(&ar);
    return o;
}

/* assert_trap (any trap passes; the kind is compared with the text loosely) and assert_exhaustion
 * (must be the "call stack exhausted" trap). */
static Outcome cmd_assert_trap(Runner *r, const cJSON *c, unsigned line, Result *res, bool exhaustion)
{
    ActionResult ar;
    const char *text = json_str(c, "text");
    Outcome o = run_action(r, cJSON_GetObjectItemCaseSensitive(c, "action"), &ar, res);
    if (o != OUT_PASS)
        goto done;
    if (!ar.trapped) {
        text_add(&res->why, "expected trap \"%s\", got (", text ? text : "");
        for (size_t i = 0; i < ar.n; i++) {
            text_add(&res->why, i ? ", " : "");
            lodge_val_t v = ar.vals[i];
            v.type = ar.types[i];
            value_print(&res->why, &v);
        }
        text_add(&res->why, ")");
        o = res->out = OUT_FAIL;
    } else if (exhaustion && ar.err.trap != LODGE_TRAP_STACK_EXHAUSTED) {
        text_add(&res->why, "expected \"call stack exhausted\", got ");
        text_add_error(&res->why, &ar.err);
        o = res->out = OUT_FAIL;
    } else if (!message_matches(text, lodge_trap_name(ar.err.trap)) && !message_matches(text, ar.err.message)) {
        r->trap_mismatch++;
        note_mismatch(r, line, "trap", text, ar.err.message[0] ? ar.err.message : lodge_trap_name(ar.err.trap));
    }
done:
    action_result_free(&ar);
    return o;
}

/* assert_malformed / assert_invalid: the module must be rejected with exactly this status. */
static Outcome cmd_assert_rejected(Runner *r, const cJSON *c, unsigned line, Result *res, lodge_status_t want)
{
    const char *file = json_str(c, "filename"), *mtype = json_str(c, "module_type"), *text = json_str(c, "text");
    bool is_text = mtype && strcmp(mtype, "text") == 0;
    lodge_error_t err;
    bool decoded;
    if (!file)
        return fail(res, "assertion without filename");
    if (is_text && !RUNNER_HAVE_WAT)
        return skip(res, SKIP_TEXT_MODULE);
    load(r, file, false, &err, &decoded);
    if (decoded)
        return fail(res, "expected %s module \"%s\", Lodge accepted it%s", status_name(want), text ? text : "",
                    is_text ? " (and so did the WAT parser)" : "");
    if (err.status != want) {
        text_add(&res->why, "expected %s \"%s\", got ", status_name(want), text ? text : "");
        text_add_error(&res->why, &err);
        return res->out = OUT_FAIL;
    }
    if (!message_matches(text, err.message)) {
        if (is_text)
            r->text_mismatch++;
        else
            r->msg_mismatch++;
        note_mismatch(r, line, is_text ? "text module message" : "message", text, err.message);
    }
    return OUT_PASS;
}

/* assert_unlinkable / assert_uninstantiable: the module is valid, instantiation fails with `want`. */
static Outcome cmd_assert_instantiate_fails(Runner *r, const cJSON *c, unsigned line, Result *res,
                                            lodge_status_t want)
{
    const char *file = json_str(c, "filename"), *text = json_str(c, "text");
    lodge_error_t err;
    bool decoded;
    if (!file)
        return fail(res, "assertion without filename");
    lodge_instance_t *inst = load(r, file, true, &err, &decoded);
    if (inst)
        return fail(res, "expected %s \"%s\", the module instantiated", status_name(want), text ? text : "");
    if (err.status != want) {
        text_add(&res->why, "expected %s \"%s\", got ", status_name(want), text ? text : "");
        text_add_error(&res->why, &err);
        return res->out = OUT_FAIL;
    }
    const char *got = err.message;
    if (want == LODGE_ERR_TRAP && !message_matches(text, err.message))
        got = lodge_trap_name(err.trap);
    if (!message_matches(text, got)) {
        r->msg_mismatch++;
        note_mismatch(r, line, "message", text, err.message);
    }
    return OUT_PASS;
}

static bool is_xfail(const Runner *r, unsigned line)
{
    for (size_t i = 0; i < r->nxfail; i++)
        if (r->xfail[i] == (long)line)
            return true;
    return false;
}

/* A module whose two checks disagreed fails whatever its assertion concluded. */
static void check_agreement(Runner *r, Result *res)
{
    if (!r->disagreement.n)
        return;
    res->why = r->disagreement;
    res->out = OUT_FAIL;
    r->disagreement.n = 0;
}

static void report_failure(Runner *r, unsigned line, const char *type, const cJSON *c, const Result *res)
{
    r->details++;
    if (!r->verbose && r->details > r->max_details)
        return;
    Text t = {.n = 0};
    text_add(&t, "  FAIL line %u: %s", line, type);
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(c, "action");
    if (action) {
        text_add(&t, " ");
        describe_action(&t, action);
    } else if (json_str(c, "filename")) {
        text_add(&t, " %s", json_str(c, "filename"));
    }
    printf("%s: %s\n", t.s, res->why.s);
}

/* Runs one command and books its outcome. Assertions are the counted tests; module, register and
 * action commands count only when they fail, since a failure there voids what follows. */
static void run_command(Runner *r, const cJSON *c)
{
    const char *type = json_str(c, "type");
    const cJSON *jl = cJSON_GetObjectItemCaseSensitive(c, "line");
    unsigned line = cJSON_IsNumber(jl) ? (unsigned)jl->valuedouble : 0;
    Result res = {.out = OUT_PASS, .why = {.n = 0}};
    bool assertion = type && strncmp(type, "assert_", 7) == 0;
    if (!type)
        fail(&res, "command without type");
    else if (strcmp(type, "module") == 0)
        cmd_module(r, c, line, &res);
    else if (strcmp(type, "register") == 0)
        cmd_register(r, c, line, &res);
    else if (strcmp(type, "action") == 0)
        cmd_action(r, c, line, &res);
    else if (strcmp(type, "assert_return") == 0)
        cmd_assert_return(r, c, line, &res);
    else if (strcmp(type, "assert_trap") == 0)
        cmd_assert_trap(r, c, line, &res, false);
    else if (strcmp(type, "assert_exhaustion") == 0)
        cmd_assert_trap(r, c, line, &res, true);
    else if (strcmp(type, "assert_malformed") == 0)
        cmd_assert_rejected(r, c, line, &res, LODGE_ERR_MALFORMED);
    else if (strcmp(type, "assert_invalid") == 0)
        cmd_assert_rejected(r, c, line, &res, LODGE_ERR_INVALID);
    else if (strcmp(type, "assert_unlinkable") == 0)
        cmd_assert_instantiate_fails(r, c, line, &res, LODGE_ERR_UNLINKABLE);
    else if (strcmp(type, "assert_uninstantiable") == 0)
        cmd_assert_instantiate_fails(r, c, line, &res, LODGE_ERR_TRAP);
    else
        fail(&res, "unknown command type");
    check_agreement(r, &res);

    if (is_xfail(r, line)) {
        if (res.out == OUT_FAIL) {
            res.out = OUT_SKIP;
            res.skip = SKIP_EXPECTED_FAILURE;
        } else if (res.out == OUT_PASS) {
            res.out = OUT_FAIL;
            res.why.n = 0;
            text_add(&res.why, "passes but is listed as an expected failure in tests/spec/skip.txt: remove it");
            assertion = true;
        }
    }
    switch (res.out) {
    case OUT_PASS:
        if (assertion)
            r->passed++;
        break;
    case OUT_FAIL:
        r->failed++;
        report_failure(r, line, type ? type : "?", c, &res);
        break;
    case OUT_SKIP:
        r->skipped++;
        r->skips[res.skip]++;
        break;
    }
}

/* ---- The script --------------------------------------------------------------------------------- */

/* Turns each JSON escape `\u0000` into NUL_STANDIN in place (see its comment). */
static size_t hide_nul_escapes(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\\' && i + 1 < n) {
            if (i + 6 <= n && memcmp(s + i, "\\u0000", 6) == 0) {
                s[o++] = (char)NUL_STANDIN;
                i += 6;
            } else {
                s[o++] = s[i++];
                s[o++] = s[i++];
            }
        } else {
            s[o++] = s[i++];
        }
    }
    s[o] = 0;
    return o;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int run_script(Runner *r, const char *json_path, const char *name_opt)
{
    size_t len;
    char *text = (char *)read_file(json_path, &len);
    if (!text) {
        fprintf(stderr, "spec-runner: %s: %s\n", json_path, strerror(errno));
        return 2;
    }
    len = hide_nul_escapes(text, len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(root, "commands");
    if (!root || !cJSON_IsArray(cmds)) {
        fprintf(stderr, "spec-runner: %s: not a wast2json script\n", json_path);
        cJSON_Delete(root);
        return 2;
    }
    const char *src = json_str(root, "source_filename");
    r->name = dup_string(name_opt ? name_opt : src ? base_name(src) : base_name(json_path));

    const char *slash = strrchr(json_path, '/');
    size_t dlen = slash ? (size_t)(slash - json_path) + 1 : 0;
    r->dir = malloc(dlen + 1);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_config_t cfg = {.bounds_checks = r->bounds_checks};
    r->engine = lodge_engine_new(&cfg);
    lodge_store_limits_t limits = {.fuel = r->fuel};
    r->store = r->engine ? lodge_store_new(r->engine, &limits) : NULL;
    if (!r->name || !r->dir || !r->store || !spectest_init(&r->spectest, r->store, &err)) {
        fprintf(stderr, "spec-runner: %s: cannot set up the engine: %s\n", json_path,
                err.message[0] ? err.message : "out of memory");
        cJSON_Delete(root);
        return 2;
    }
    memcpy(r->dir, json_path, dlen);
    r->dir[dlen] = 0;

    const cJSON *c;
    cJSON_ArrayForEach(c, cmds) run_command(r, c);
    cJSON_Delete(root);

    if (r->details > r->max_details && !r->verbose)
        printf("  ... %u more failures (run with -v to see all)\n", r->details - r->max_details);
    for (int i = 0; i < SKIP_COUNT; i++)
        if (r->skips[i])
            printf("  skipped %u: %s\n", r->skips[i], skip_reason_text[i]);
    printf("%s: %u passed, %u failed, %u skipped", r->name, r->passed, r->failed, r->skipped);
    if (r->msg_mismatch || r->text_mismatch || r->trap_mismatch)
        printf(" (message mismatches: %u binary, %u text, %u trap)", r->msg_mismatch, r->text_mismatch,
               r->trap_mismatch);
    printf("\n");
    return r->failed ? 1 : 0;
}

static void runner_free(Runner *r)
{
    lodge_store_delete(r->store);
    for (size_t i = 0; i < r->nmodules; i++)
        lodge_module_delete(r->modules[i]);
    free(r->modules);
    lodge_engine_delete(r->engine);
    bindings_free(&r->named);
    bindings_free(&r->registered);
    free(r->dir);
    free(r->name);
}

static int usage(FILE *f)
{
    fprintf(f, "usage: spec-runner [-v] [--bounds-checks] [--fuel N] [--max-details N] [--name NAME] [--xfail LINE]... "
               "SCRIPT.json\n"
               "Runs one wast2json script against Lodge and prints `NAME: P passed, F failed, S skipped`.\n"
               "  -v               print every failure and every message mismatch\n"
               "  --bounds-checks  explicit memory bounds checks instead of guard pages\n"
               "  --fuel N         give the store N units of fuel (the metered paths; N large)\n"
               "  --max-details N  print at most N failures (default 40)\n"
               "  --name NAME      name to print instead of the script's source file name\n"
               "  --xfail LINE     the command at LINE is expected to fail (a pass then fails)\n"
               "Exit status: 0 all passed, 1 some failed, 2 bad usage or unreadable script.\n");
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    Runner r;
    memset(&r, 0, sizeof r);
    r.max_details = 40;
    const char *script = NULL, *name = NULL;
    long *xfail = calloc((size_t)argc, sizeof *xfail);
    if (!xfail)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            free(xfail);
            return usage(stdout);
        } else if (strcmp(a, "-v") == 0) {
            r.verbose = true;
        } else if (strcmp(a, "--bounds-checks") == 0) {
            r.bounds_checks = true;
        } else if (strcmp(a, "--fuel") == 0 && i + 1 < argc) {
            r.fuel = strtoull(argv[++i], &end, 10);
            if (*end || r.fuel == 0) {
                fprintf(stderr, "spec-runner: --fuel wants a positive number, not '%s'\n", argv[i]);
                free(xfail);
                return 2;
            }
        } else if (strcmp(a, "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if ((strcmp(a, "--max-details") == 0 || strcmp(a, "--xfail") == 0) && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0) {
                fprintf(stderr, "spec-runner: %s wants a number, not '%s'\n", a, argv[i]);
                free(xfail);
                return 2;
            }
            if (a[2] == 'x')
                xfail[r.nxfail++] = v;
            else
                r.max_details = (unsigned)v;
        } else if (a[0] == '-' || script) {
            fprintf(stderr, "spec-runner: unexpected argument '%s'\n", a);
            free(xfail);
            return usage(stderr);
        } else {
            script = a;
        }
    }
    if (!script) {
        free(xfail);
        return usage(stderr);
    }
    r.xfail = xfail;
    int rc = run_script(&r, script, name);
    runner_free(&r);
    free(xfail);
    return rc;
}
