/* wasmgen.c: byte buffers, the module builder and the rig (see wasmgen.h). Allocation failures in the
 * test helpers end the test process: they are not what is under test. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmgen.h"

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "unit tests: out of memory\n");
        exit(99);
    }
    return p;
}

void bytes_free(Bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void put_raw(Bytes *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 16;
        b->p = xrealloc(b->p, b->cap);
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void put_u8(Bytes *b, uint8_t v) { put_raw(b, &v, 1); }

void put_uleb(Bytes *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put_u8(b, c | (v ? 0x80 : 0));
    } while (v);
}

void put_sleb(Bytes *b, int64_t v)
{
    for (;;) {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7; /* arithmetic on every compiler Lodge supports */
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        put_u8(b, c | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

void put_name(Bytes *b, const char *s)
{
    size_t n = strlen(s);
    put_uleb(b, n);
    put_raw(b, s, n);
}

void put_section(Bytes *b, uint8_t id, const Bytes *payload)
{
    put_u8(b, id);
    put_uleb(b, payload->len);
    put_raw(b, payload->p, payload->len);
}

void put_header(Bytes *b)
{
    static const uint8_t h[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    put_raw(b, h, sizeof h);
}

Bytes bytes_module(const uint8_t *sections, size_t n)
{
    Bytes b = {0};
    put_header(&b);
    put_raw(&b, sections, n);
    return b;
}

/* ---- The module builder ---- */

void wm_init(WMod *m) { memset(m, 0, sizeof *m); }

void wm_free(WMod *m)
{
    Bytes *all[] = {&m->types, &m->imports, &m->funcs, &m->tables, &m->mems, &m->globals, &m->exports,
                    &m->elems, &m->datas, &m->code, &m->names, &m->customs};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        bytes_free(all[i]);
    for (uint32_t i = 0; i < m->ntypes && i < 64; i++)
        free(m->sigs[i]);
    memset(m, 0, sizeof *m);
}

uint8_t wm_valtype(char c)
{
    switch (c) {
    case 'i': return T_I32;
    case 'l': return T_I64;
    case 'f': return T_F32;
    case 'd': return T_F64;
    case 'r': return T_FUNCREF;
    case 'x': return T_EXTERNREF;
    case 'v': return T_V128;
    default:
        fprintf(stderr, "unit tests: bad value type letter '%c'\n", c);
        exit(99);
    }
}

uint32_t wm_type(WMod *m, const char *sig)
{
    for (uint32_t i = 0; i < m->ntypes && i < 64; i++)
        if (strcmp(m->sigs[i], sig) == 0)
            return i;
    const char *colon = strchr(sig, ':');
    if (!colon || m->ntypes >= 64) {
        fprintf(stderr, "unit tests: bad signature \"%s\"\n", sig);
        exit(99);
    }
    put_u8(&m->types, 0x60);
    put_uleb(&m->types, (uint64_t)(colon - sig));
    for (const char *p = sig; p < colon; p++)
        put_u8(&m->types, wm_valtype(*p));
    put_uleb(&m->types, strlen(colon + 1));
    for (const char *p = colon + 1; *p; p++)
        put_u8(&m->types, wm_valtype(*p));
    size_t n = strlen(sig) + 1;
    m->sigs[m->ntypes] = xrealloc(NULL, n);
    memcpy(m->sigs[m->ntypes], sig, n);
    return m->ntypes++;
}

static void put_limits(Bytes *b, uint32_t min, int64_t max)
{
    put_u8(b, max >= 0 ? 1 : 0);
    put_uleb(b, min);
    if (max >= 0)
        put_uleb(b, (uint64_t)max);
}

static void import_head(WMod *m, const char *mod, const char *name, uint8_t kind)
{
    put_name(&m->imports, mod);
    put_name(&m->imports, name);
    put_u8(&m->imports, kind);
    m->nimports++;
}

uint32_t wm_import_func(WMod *m, const char *mod, const char *name, const char *sig)
{
    uint32_t ty = wm_type(m, sig);
    import_head(m, mod, name, 0);
    put_uleb(&m->imports, ty);
    return m->nimp_funcs++;
}

uint32_t wm_import_table(WMod *m, const char *mod, const char *name, char elem, uint32_t min, int64_t max)
{
    import_head(m, mod, name, 1);
    put_u8(&m->imports, wm_valtype(elem));
    put_limits(&m->imports, min, max);
    return m->ntables++;
}

uint32_t wm_import_memory(WMod *m, const char *mod, const char *name, uint32_t min, int64_t max)
{
    import_head(m, mod, name, 2);
    put_limits(&m->imports, min, max);
    return 0;
}

uint32_t wm_import_global(WMod *m, const char *mod, const char *name, char type, bool mut)
{
    import_head(m, mod, name, 3);
    put_u8(&m->imports, wm_valtype(type));
    put_u8(&m->imports, mut ? 1 : 0);
    return m->nglobals++;
}

uint32_t wm_func(WMod *m, const char *sig, const char *locals, const uint8_t *code, size_t n)
{
    put_uleb(&m->funcs, wm_type(m, sig));
    Bytes body = {0};
    /* one local group per run of equal letters */
    size_t ngroups = 0;
    for (size_t i = 0; locals[i]; i++)
        if (i == 0 || locals[i] != locals[i - 1])
            ngroups++;
    put_uleb(&body, ngroups);
    for (size_t i = 0; locals[i];) {
        size_t k = i;
        while (locals[k] == locals[i])
            k++;
        put_uleb(&body, k - i);
        put_u8(&body, wm_valtype(locals[i]));
        i = k;
    }
    put_raw(&body, code, n);
    put_u8(&body, END);
    put_uleb(&m->code, body.len);
    put_raw(&m->code, body.p, body.len);
    bytes_free(&body);
    return m->nimp_funcs + m->nfuncs++;
}

uint32_t wm_table(WMod *m, char elem, uint32_t min, int64_t max)
{
    put_u8(&m->tables, wm_valtype(elem));
    put_limits(&m->tables, min, max);
    m->ndef_tables++;
    return m->ntables++;
}

uint32_t wm_memory(WMod *m, uint32_t min, int64_t max)
{
    put_limits(&m->mems, min, max);
    m->nmems++;
    return 0;
}

uint32_t wm_global(WMod *m, char type, bool mut, const uint8_t *init, size_t n)
{
    put_u8(&m->globals, wm_valtype(type));
    put_u8(&m->globals, mut ? 1 : 0);
    put_raw(&m->globals, init, n);
    put_u8(&m->globals, END);
    m->ndef_globals++;
    return m->nglobals++;
}

void wm_export(WMod *m, const char *name, lodge_extern_kind_t kind, uint32_t index)
{
    put_name(&m->exports, name);
    put_u8(&m->exports, (uint8_t)kind);
    put_uleb(&m->exports, index);
    m->nexports++;
}

void wm_start(WMod *m, uint32_t func)
{
    m->has_start = true;
    m->start = func;
}

void wm_elem_raw(WMod *m, const uint8_t *seg, size_t n)
{
    put_raw(&m->elems, seg, n);
    m->nelems++;
}

void wm_elem_funcs(WMod *m, uint32_t offset, const uint32_t *funcs, size_t n)
{
    put_u8(&m->elems, 0);
    put_u8(&m->elems, I32_CONST);
    put_sleb(&m->elems, (int32_t)offset);
    put_u8(&m->elems, END);
    put_uleb(&m->elems, n);
    for (size_t i = 0; i < n; i++)
        put_uleb(&m->elems, funcs[i]);
    m->nelems++;
}

void wm_data(WMod *m, uint32_t offset, const void *bytes, size_t n)
{
    put_u8(&m->datas, 0);
    put_u8(&m->datas, I32_CONST);
    put_sleb(&m->datas, (int32_t)offset);
    put_u8(&m->datas, END);
    put_uleb(&m->datas, n);
    put_raw(&m->datas, bytes, n);
    m->ndatas++;
}

void wm_data_at_global(WMod *m, uint32_t global, const void *bytes, size_t n)
{
    put_u8(&m->datas, 0);
    put_u8(&m->datas, GLOBAL_GET);
    put_uleb(&m->datas, global);
    put_u8(&m->datas, END);
    put_uleb(&m->datas, n);
    put_raw(&m->datas, bytes, n);
    m->ndatas++;
}

void wm_data_passive(WMod *m, const void *bytes, size_t n)
{
    put_u8(&m->datas, 1);
    put_uleb(&m->datas, n);
    put_raw(&m->datas, bytes, n);
    m->ndatas++;
}

void wm_datacount(WMod *m) { m->datacount = true; }

void wm_func_name(WMod *m, uint32_t func, const char *name)
{
    put_uleb(&m->names, func);
    put_name(&m->names, name);
    m->nnames++;
}

void wm_custom(WMod *m, const char *name, const void *bytes, size_t n)
{
    Bytes p = {0};
    put_name(&p, name);
    put_raw(&p, bytes, n);
    put_section(&m->customs, 0, &p);
    bytes_free(&p);
}

static void vec_section(Bytes *out, uint8_t id, uint32_t count, const Bytes *items)
{
    Bytes p = {0};
    put_uleb(&p, count);
    put_raw(&p, items->p, items->len);
    put_section(out, id, &p);
    bytes_free(&p);
}

Bytes wm_finish(const WMod *m)
{
    Bytes b = {0};
    put_header(&b);
    if (m->ntypes)
        vec_section(&b, 1, m->ntypes, &m->types);
    if (m->nimports)
        vec_section(&b, 2, m->nimports, &m->imports);
    if (m->nfuncs)
        vec_section(&b, 3, m->nfuncs, &m->funcs);
    if (m->ndef_tables)
        vec_section(&b, 4, m->ndef_tables, &m->tables);
    if (m->nmems)
        vec_section(&b, 5, m->nmems, &m->mems);
    if (m->ndef_globals)
        vec_section(&b, 6, m->ndef_globals, &m->globals);
    if (m->nexports)
        vec_section(&b, 7, m->nexports, &m->exports);
    if (m->has_start) {
        Bytes p = {0};
        put_uleb(&p, m->start);
        put_section(&b, 8, &p);
        bytes_free(&p);
    }
    if (m->nelems)
        vec_section(&b, 9, m->nelems, &m->elems);
    if (m->datacount) {
        Bytes p = {0};
        put_uleb(&p, m->ndatas);
        put_section(&b, 12, &p);
        bytes_free(&p);
    }
    if (m->nfuncs)
        vec_section(&b, 10, m->nfuncs, &m->code);
    if (m->ndatas)
        vec_section(&b, 11, m->ndatas, &m->datas);
    if (m->nnames) {
        Bytes sub = {0}, p = {0};
        put_uleb(&sub, m->nnames);
        put_raw(&sub, m->names.p, m->names.len);
        put_name(&p, "name");
        put_u8(&p, 1); /* function names */
        put_uleb(&p, sub.len);
        put_raw(&p, sub.p, sub.len);
        put_section(&b, 0, &p);
        bytes_free(&sub);
        bytes_free(&p);
    }
    put_raw(&b, m->customs.p, m->customs.len);
    return b;
}

/* ---- Values ---- */

lodge_val_t vi32(int32_t v) { lodge_val_t x = {.type = LODGE_I32}; x.of.i64 = 0; x.of.i32 = v; return x; }
lodge_val_t vi64(int64_t v) { lodge_val_t x = {.type = LODGE_I64}; x.of.i64 = v; return x; }
lodge_val_t vf32b(uint32_t b) { lodge_val_t x = {.type = LODGE_F32}; x.of.i64 = 0; x.of.f32_bits = b; return x; }
lodge_val_t vf64b(uint64_t b) { lodge_val_t x = {.type = LODGE_F64}; x.of.f64_bits = b; return x; }
lodge_val_t vf32(float v) { return vf32b(f32_bits(v)); }
lodge_val_t vf64(double v) { return vf64b(f64_bits(v)); }
lodge_val_t vref(lodge_valtype_t type, void *p) { lodge_val_t x = {.type = type}; x.of.ext = p; return x; }

uint32_t f32_bits(float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    return b;
}

uint64_t f64_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, 8);
    return b;
}

/* ---- The rig ---- */

bool rig_open(Rig *r, const Bytes *bin, const RigOpts *o)
{
    static const RigOpts none;
    if (!o)
        o = &none;
    memset(r, 0, sizeof *r);
    r->own_engine = !o->engine;
    r->own_store = !o->store;
    r->engine = o->engine ? o->engine : lodge_engine_new(o->cfg);
    if (!r->engine) {
        lodge_error_set(&r->err, LODGE_ERR_NOMEM, "engine");
        return false;
    }
    r->module = lodge_module_new(r->engine, bin->p, bin->len, &r->err);
    if (!r->module)
        return false;
    r->store = o->store ? o->store : lodge_store_new(r->engine, o->limits);
    if (!r->store) {
        lodge_error_set(&r->err, LODGE_ERR_NOMEM, "store");
        return false;
    }
    r->inst = lodge_instance_new(r->store, r->module, o->imports, o->nimports, &r->err);
    return r->inst != NULL;
}

void rig_close(Rig *r)
{
    if (r->store && r->own_store)
        lodge_store_delete(r->store);
    lodge_module_delete(r->module);
    if (r->engine && r->own_engine)
        lodge_engine_delete(r->engine);
    memset(r, 0, sizeof *r);
}

lodge_func_t *rig_func(Rig *r, const char *name)
{
    lodge_extern_t e;
    if (!r->inst || !lodge_instance_export(r->inst, name, &e) || e.kind != LODGE_EXTERN_FUNC)
        return NULL;
    return e.of.func;
}

Call rig_call(Rig *r, const char *name, int nargs, ...)
{
    Call c;
    memset(&c, 0, sizeof c);
    lodge_val_t args[16];
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs && i < 16; i++)
        args[i] = va_arg(ap, lodge_val_t);
    va_end(ap);
    lodge_func_t *f = rig_func(r, name);
    if (!f) {
        lodge_error_set(&c.err, LODGE_ERR_ARG, "no exported function \"%s\"", name);
        return c;
    }
    lodge_functype_t ft;
    lodge_func_type(f, &ft);
    c.ok = lodge_func_call(r->store, f, args, (size_t)nargs, c.r, ft.nresults, &c.err);
    return c;
}

Call run_code(const char *sig, const uint8_t *code, size_t n, const RigOpts *o, int nargs, ...)
{
    Call c;
    memset(&c, 0, sizeof c);
    lodge_val_t args[16];
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs && i < 16; i++)
        args[i] = va_arg(ap, lodge_val_t);
    va_end(ap);
    WMod w;
    wm_init(&w);
    uint32_t f = wm_func(&w, sig, "", code, n);
    wm_export(&w, "f", LODGE_EXTERN_FUNC, f);
    Bytes b = wm_finish(&w);
    Rig r;
    if (rig_open(&r, &b, o)) {
        lodge_func_t *fn = rig_func(&r, "f");
        lodge_functype_t ft;
        lodge_func_type(fn, &ft);
        c.ok = lodge_func_call(r.store, fn, args, (size_t)nargs, c.r, ft.nresults, &c.err);
    } else {
        c.err = r.err;
    }
    rig_close(&r);
    bytes_free(&b);
    wm_free(&w);
    return c;
}

static const char *status_name(lodge_status_t s)
{
    static const char *n[] = {"OK", "MALFORMED", "INVALID", "UNLINKABLE", "TRAP", "EXIT", "NOMEM", "IO", "ARG"};
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

bool unit_check_call(UnitCtx *t, const char *file, int line, const char *expr, Call c, int kind, uint64_t want)
{
    if (!c.ok)
        return unit_check(t, false, file, line, "%s failed: %s: %s", expr, status_name(c.err.status), c.err.message);
    uint64_t got = 0;
    bool ok = true;
    switch (kind) {
    case 0: break;
    case 'i': ok = c.r[0].type == LODGE_I32; got = (uint32_t)c.r[0].of.i32; break;
    case 'l': ok = c.r[0].type == LODGE_I64; got = (uint64_t)c.r[0].of.i64; break;
    case 'f': ok = c.r[0].type == LODGE_F32; got = c.r[0].of.f32_bits; break;
    case 'd': ok = c.r[0].type == LODGE_F64; got = c.r[0].of.f64_bits; break;
    case 'n':
        return unit_check(t, c.r[0].type == LODGE_F32 && (c.r[0].of.f32_bits & 0x7fffffff) > 0x7f800000, file, line,
                          "%s is 0x%08x, expected a NaN", expr, c.r[0].of.f32_bits);
    case 'N':
        return unit_check(t, c.r[0].type == LODGE_F64 &&
                                 (c.r[0].of.f64_bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull,
                          file, line, "%s is 0x%016llx, expected a NaN", expr, (unsigned long long)c.r[0].of.f64_bits);
    }
    if (!ok)
        return unit_check(t, false, file, line, "%s returned type 0x%02x", expr, c.r[0].type);
    if (kind == 'i' || kind == 'l')
        return unit_check(t, got == want, file, line, "%s is %lld (0x%llx), expected %lld (0x%llx)", expr,
                          kind == 'i' ? (long long)(int32_t)got : (long long)got, (unsigned long long)got,
                          kind == 'i' ? (long long)(int32_t)want : (long long)want, (unsigned long long)want);
    return unit_check(t, got == want, file, line, "%s is 0x%llx, expected 0x%llx", expr, (unsigned long long)got,
                      (unsigned long long)want);
}

bool unit_check_trap(UnitCtx *t, const char *file, int line, const char *expr, Call c, lodge_trap_kind_t want)
{
    if (c.ok)
        return unit_check(t, false, file, line, "%s succeeded, expected trap \"%s\"", expr, lodge_trap_name(want));
    return unit_check(t, c.err.status == LODGE_ERR_TRAP && c.err.trap == want, file, line,
                      "%s: %s trap %d \"%s\", expected trap \"%s\"", expr, status_name(c.err.status), c.err.trap,
                      c.err.message, lodge_trap_name(want));
}
