/* wasm_fuzz.c: libFuzzer target for the process VM: arbitrary bytes are decoded, validated, compiled and,
 * when valid, instantiated with dummy imports of the right types, and every exported function is called
 * with zero arguments under a fuel limit and a memory limit. Oracles beyond "no crash, no hang, no leak":
 * lodge_module_validate and lodge_module_new agree, a rejection has a status and a message, and a call
 * ends in a result or a trap, never in a status that makes no sense for a call; and the guard-page and the
 * explicit-bounds-check interpreters agree on every result, trap and final memory and global value. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lodge.h"
#include "os/trap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_FUEL 20000            /* back-edges and calls per exported function */
#define FUZZ_MEMORY (48u << 20)    /* bytes of memories and tables per store */
#define FUZZ_MAX_EXPORT_CALLS 64

/* A fault in the host's own code is a bug. Lodge's handler claims only faults in guest memory and, for
 * any other, resets the signal to its default and returns; this wrapper turns that case into an abort,
 * which libFuzzer reports with the input that caused it. It is installed at the first input, after
 * libFuzzer's own handlers: libFuzzer's SIGSEGV handler chains to the one it found but runs with SIGSEGV
 * blocked, and the siglongjmp out of a guest fault would leave it blocked. Signal handlers have no context
 * argument, hence the statics here. */
static struct sigaction lodge_handler[2];
static bool wrapper_installed;

static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    struct sigaction *h = &lodge_handler[sig == SIGBUS];
    if (h->sa_flags & SA_SIGINFO)
        h->sa_sigaction(sig, info, uctx); /* siglongjmps away when the address is guest memory */
    fprintf(stderr, "wasm_fuzz: fault at %p outside guest memory\n", info->si_addr);
    abort();
}

static void install_wrapper(void)
{
    if (wrapper_installed || !os_trap_init())
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, NULL, &lodge_handler[0]);
    sigaction(SIGBUS, NULL, &lodge_handler[1]);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    wrapper_installed = true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check(bool ok, const char *what, const lodge_error_t *err)
{
    if (!ok) {
        fprintf(stderr, "wasm_fuzz: oracle failed: %s (status %d, trap %d, \"%s\")\n", what, err ? err->status : -1,
                err ? err->trap : -1, err ? err->message : "");
        abort();
    }
}

/* Dummy imports: functions return zeros (or trap, by the import's index, so both paths are taken). */
static bool dummy_fn(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                     lodge_error_t *err)
{
    (void)caller;
    (void)args;
    (void)results;
    if ((uintptr_t)env % 3 == 2) {
        lodge_error_set(err, LODGE_ERR_TRAP, "dummy import %u traps", (unsigned)(uintptr_t)env);
        err->trap = LODGE_TRAP_HOST;
        return false;
    }
    return true;
}

static lodge_val_t zero_of(lodge_valtype_t t)
{
    lodge_val_t v;
    memset(&v, 0, sizeof v);
    v.type = t;
    return v;
}

static bool make_import(lodge_store_t *store, const lodge_import_desc_t *d, uint32_t i, lodge_extern_t *out)
{
    lodge_error_t err;
    out->kind = d->kind;
    switch (d->kind) {
    case LODGE_EXTERN_FUNC:
        out->of.func = lodge_func_new(store, &d->func, dummy_fn, (void *)(uintptr_t)i, NULL);
        return out->of.func != NULL;
    case LODGE_EXTERN_TABLE:
        out->of.table = lodge_table_new(store, d->valtype, d->limits, zero_of(d->valtype), &err);
        return out->of.table != NULL;
    case LODGE_EXTERN_MEMORY:
        out->of.memory = lodge_memory_new(store, d->limits, &err);
        return out->of.memory != NULL;
    case LODGE_EXTERN_GLOBAL:
        out->of.global = lodge_global_new(store, d->valtype, d->mutable_, zero_of(d->valtype));
        return out->of.global != NULL;
    }
    return false;
}

/* What a run did, event by event, so the guard-page and the explicit-check interpreters can be compared:
 * they must agree on every result bit, every trap kind and the final memory and globals. */
#define MAX_EVENTS (4 * FUZZ_MAX_EXPORT_CALLS + 64)
typedef struct Transcript {
    uint64_t ev[MAX_EVENTS][3];
    uint32_t n;
} Transcript;

static void note(Transcript *tr, uint64_t what, uint64_t a, uint64_t b)
{
    if (tr->n < MAX_EVENTS) {
        tr->ev[tr->n][0] = what;
        tr->ev[tr->n][1] = a;
        tr->ev[tr->n][2] = b;
        tr->n++;
    }
}

static uint64_t val_bits(const lodge_val_t *v)
{
    switch (v->type) {
    case LODGE_I32: case LODGE_F32: return (uint32_t)v->of.i32;
    case LODGE_I64: case LODGE_F64: return (uint64_t)v->of.i64;
    default: return v->of.ext != NULL; /* references: only null-ness is comparable across instances */
    }
}

static void run_exports(lodge_store_t *store, lodge_instance_t *inst, const lodge_module_t *m, Transcript *tr)
{
    uint32_t n = lodge_module_num_exports(m), calls = 0;
    for (uint32_t i = 0; i < n && calls < FUZZ_MAX_EXPORT_CALLS; i++) {
        lodge_export_desc_t e;
        lodge_module_export(m, i, &e);
        if (e.kind != LODGE_EXTERN_FUNC)
            continue;
        lodge_extern_t x;
        check(lodge_instance_export_n(inst, e.name, e.name_len, &x) && x.kind == LODGE_EXTERN_FUNC,
              "an exported function is found by its name", NULL);
        lodge_functype_t ft;
        lodge_func_type(x.of.func, &ft);
        lodge_val_t args[1000], results[1000];
        for (uint32_t k = 0; k < ft.nparams && k < 1000; k++)
            args[k] = zero_of(ft.params[k]);
        lodge_error_t err;
        lodge_store_set_fuel(store, FUZZ_FUEL);
        calls++;
        if (lodge_func_call(store, x.of.func, args, ft.nparams, results, ft.nresults, &err)) {
            note(tr, 2, i, 0);
            for (uint32_t k = 0; k < ft.nresults; k++) {
                check(results[k].type == ft.results[k], "results have their declared types", &err);
                note(tr, 3, k, val_bits(&results[k]));
            }
        } else {
            check(err.status == LODGE_ERR_TRAP || err.status == LODGE_ERR_NOMEM, "a call ends in a trap", &err);
            check(err.status != LODGE_ERR_TRAP || (err.trap != LODGE_TRAP_NONE && err.message[0]),
                  "a trap has a kind and a message", &err);
            note(tr, 2, i, ((uint64_t)err.status << 32) | err.trap);
        }
    }
    /* the state the calls left behind: exported memories and globals */
    for (uint32_t i = 0; i < n; i++) {
        lodge_export_desc_t e;
        lodge_module_export(m, i, &e);
        lodge_extern_t x;
        if (!lodge_instance_export_n(inst, e.name, e.name_len, &x))
            continue;
        if (x.kind == LODGE_EXTERN_MEMORY) {
            size_t size = lodge_memory_size(x.of.memory), len = size < (1u << 20) ? size : (1u << 20);
            const uint8_t *p = lodge_memory_data(x.of.memory);
            uint64_t h = 0xcbf29ce484222325ull;
            for (size_t k = 0; k < len; k++)
                h = (h ^ p[k]) * 0x100000001b3ull;
            note(tr, 4, size, h);
        } else if (x.kind == LODGE_EXTERN_GLOBAL) {
            lodge_val_t v = lodge_global_get(x.of.global);
            note(tr, 5, i, val_bits(&v));
        }
    }
}

/* Decode, validate, compile, instantiate and run in one bounds-check mode. False when the module was
 * rejected (the rejection does not depend on the mode). */
static bool run_mode(const uint8_t *data, size_t size, bool checked, Transcript *tr)
{
    lodge_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bounds_checks = checked;
    cfg.max_value_stack = 1u << 20;
    cfg.max_call_depth = 2000;
    tr->n = 0;
    lodge_engine_t *engine = lodge_engine_new(&cfg);
    if (!engine)
        return false;
    lodge_error_t verr, err;
    bool valid = lodge_module_validate(engine, data, size, &verr);
    lodge_module_t *m = lodge_module_new(engine, data, size, &err);
    check(valid == (m != NULL) || err.status == LODGE_ERR_NOMEM, "validate and compile agree", &err);
    if (!m) {
        check(err.status == LODGE_ERR_MALFORMED || err.status == LODGE_ERR_INVALID || err.status == LODGE_ERR_NOMEM,
              "a rejected module is malformed or invalid", &err);
        check(err.message[0] != 0, "a rejection has a message", &err);
        check(err.status == verr.status && strcmp(err.message, verr.message) == 0,
              "validate and compile give the same error", &err);
        lodge_engine_delete(engine);
        return false;
    }
    lodge_store_limits_t lim = {FUZZ_MEMORY, FUZZ_FUEL};
    lodge_store_t *store = lodge_store_new(engine, &lim);
    if (!store)
        goto out_module;
    uint32_t nimp = lodge_module_num_imports(m);
    lodge_extern_t *imports = calloc(nimp ? nimp : 1, sizeof *imports);
    if (!imports)
        goto out_store;
    bool linked = true;
    for (uint32_t i = 0; i < nimp && linked; i++) {
        lodge_import_desc_t d;
        lodge_module_import(m, i, &d);
        linked = make_import(store, &d, i, &imports[i]);
    }
    note(tr, 0, linked, 0);
    if (linked) {
        lodge_instance_t *inst = lodge_instance_new(store, m, imports, nimp, &err);
        if (inst) {
            note(tr, 1, 0, 0);
            run_exports(store, inst, m, tr);
        } else {
            check(err.status == LODGE_ERR_TRAP || err.status == LODGE_ERR_NOMEM,
                  "imports of the right types link; instantiation fails only by a trap or the memory limit", &err);
            note(tr, 1, err.status, err.trap);
        }
        check(lodge_store_memory_used(store) <= FUZZ_MEMORY, "the store stays within its memory limit", NULL);
    }
    free(imports);
out_store:
    lodge_store_delete(store);
out_module:
    lodge_module_delete(m);
    lodge_engine_delete(engine);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    install_wrapper();
    static Transcript guarded, checked; /* large; a fuzz target runs one input at a time */
    if (!run_mode(data, size, false, &guarded))
        return 0;
    run_mode(data, size, true, &checked);
    for (uint32_t i = 0; i < guarded.n || i < checked.n; i++) {
        if (i >= guarded.n || i >= checked.n || memcmp(guarded.ev[i], checked.ev[i], sizeof guarded.ev[i]) != 0) {
            fprintf(stderr, "wasm_fuzz: guard-page and bounds-check runs differ at event %u of %u/%u:\n", i,
                    guarded.n, checked.n);
            if (i < guarded.n)
                fprintf(stderr, "  guarded: %llu %llx %llx\n", (unsigned long long)guarded.ev[i][0],
                        (unsigned long long)guarded.ev[i][1], (unsigned long long)guarded.ev[i][2]);
            if (i < checked.n)
                fprintf(stderr, "  checked: %llu %llx %llx\n", (unsigned long long)checked.ev[i][0],
                        (unsigned long long)checked.ev[i][1], (unsigned long long)checked.ev[i][2]);
            abort();
        }
    }
    return 0;
}
