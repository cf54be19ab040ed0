/* reflect.c: what lodge.h does not tell about a module, read from its bytes (already validated by
 * Lodge): the types of its exports (lodge.h gives kind and index only; imported entities' types come from
 * lodge_module_import), and the function a backtrace name stands for (the name section, then exports). */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

/* A bounds-checked cursor; the first overrun latches `bad` and every later read returns 0. */
typedef struct Cursor {
    const uint8_t *p, *end;
    bool bad;
} Cursor;

static uint8_t byte(Cursor *c)
{
    if (c->bad || c->p >= c->end) {
        c->bad = true;
        return 0;
    }
    return *c->p++;
}

static uint64_t uleb(Cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b = byte(c);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = true;
    return 0;
}

static void skip(Cursor *c, uint64_t n)
{
    if (c->bad || n > (uint64_t)(c->end - c->p))
        c->bad = true;
    else
        c->p += n;
}

static lodge_limits_t limits(Cursor *c)
{
    uint8_t flags = byte(c);
    lodge_limits_t l = {0, 0, false};
    l.min = (uint32_t)uleb(c);
    if (flags & 1) {
        l.max = (uint32_t)uleb(c);
        l.has_max = true;
    }
    return l;
}

/* Skip a constant expression up to and including its `end`. */
static void skip_const_expr(Cursor *c)
{
    while (!c->bad) {
        uint8_t op = byte(c);
        switch (op) {
        case 0x0b: return;                                  /* end */
        case 0x41: case 0x42: uleb(c); break;               /* i32/i64.const (sign bits skipped alike) */
        case 0x43: skip(c, 4); break;                       /* f32.const */
        case 0x44: skip(c, 8); break;                       /* f64.const */
        case 0x23: case 0xd2: uleb(c); break;               /* global.get, ref.func */
        case 0xd0: byte(c); break;                          /* ref.null t */
        case 0xfd: uleb(c); skip(c, 16); break;             /* v128.const */
        default: break;                                     /* extended constants: no immediates */
        }
    }
}

typedef struct Spaces {
    uint32_t ntypes;
    lodge_functype_t *types;     /* params/results point into the module bytes' copy below */
    lodge_valtype_t *typebytes;
    uint32_t nfuncs, ntables, nmems, nglobals;
    wasm_externtype_t **funcs, **tables, **mems, **globals;  /* borrowed by index; owned by Spaces */
} Spaces;

static wasm_externtype_t *import_type(const lodge_import_desc_t *d)
{
    switch (d->kind) {
    case LODGE_EXTERN_FUNC:
        return (wasm_externtype_t *)capi_types_functype(&d->func);
    case LODGE_EXTERN_GLOBAL:
        return (wasm_externtype_t *)wasm_globaltype_new(wasm_valtype_new(capi_types_kind(d->valtype)),
                                                        d->mutable_ ? WASM_VAR : WASM_CONST);
    case LODGE_EXTERN_TABLE: {
        wasm_limits_t l = capi_types_limits(d->limits);
        return (wasm_externtype_t *)wasm_tabletype_new(wasm_valtype_new(capi_types_kind(d->valtype)), &l);
    }
    default: {
        wasm_limits_t l = capi_types_limits(d->limits);
        return (wasm_externtype_t *)wasm_memorytype_new(&l);
    }
    }
}

static bool push(wasm_externtype_t ***arr, uint32_t *n, wasm_externtype_t *t)
{
    if (!t)
        return false;
    wasm_externtype_t **p = realloc(*arr, (*n + 1) * sizeof *p);
    if (!p) {
        wasm_externtype_delete(t);
        return false;
    }
    p[(*n)++] = t;
    *arr = p;
    return true;
}

static void spaces_free(Spaces *sp)
{
    wasm_externtype_t **lists[4] = {sp->funcs, sp->tables, sp->mems, sp->globals};
    uint32_t ns[4] = {sp->nfuncs, sp->ntables, sp->nmems, sp->nglobals};
    for (int k = 0; k < 4; k++) {
        for (uint32_t i = 0; i < ns[k]; i++)
            wasm_externtype_delete(lists[k][i]);
        free(lists[k]);
    }
    free(sp->types);
    free(sp->typebytes);
}

static bool read_types(Cursor *c, Spaces *sp)
{
    uint64_t n = uleb(c);
    if (n > (uint64_t)(c->end - c->p))
        return false;
    sp->types = calloc(n ? n : 1, sizeof *sp->types);
    /* Every value type takes at least one byte, so the section's length bounds them all. */
    sp->typebytes = malloc((size_t)(c->end - c->p) + 1);
    if (!sp->types || !sp->typebytes)
        return false;
    size_t used = 0;
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        if (byte(c) != 0x60)
            return false;
        lodge_functype_t *t = &sp->types[i];
        t->nparams = (uint32_t)uleb(c);
        t->params = sp->typebytes + used;
        for (uint32_t k = 0; k < t->nparams && !c->bad; k++)
            sp->typebytes[used++] = byte(c);
        t->nresults = (uint32_t)uleb(c);
        t->results = sp->typebytes + used;
        for (uint32_t k = 0; k < t->nresults && !c->bad; k++)
            sp->typebytes[used++] = byte(c);
        sp->ntypes = (uint32_t)i + 1;
    }
    return !c->bad;
}

static bool read_section(Cursor *c, uint8_t id, Spaces *sp)
{
    if (id == 1)
        return read_types(c, sp);
    if (id < 3 || id > 6)
        return true;
    uint64_t n = uleb(c);
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        wasm_externtype_t *t = NULL;
        bool ok = false;
        if (id == 3) {
            uint64_t ti = uleb(c);
            if (ti >= sp->ntypes)
                return false;
            ok = push(&sp->funcs, &sp->nfuncs, (wasm_externtype_t *)capi_types_functype(&sp->types[ti]));
        } else if (id == 4) {
            wasm_valkind_t k = capi_types_kind(byte(c));
            wasm_limits_t l = capi_types_limits(limits(c));
            t = (wasm_externtype_t *)wasm_tabletype_new(wasm_valtype_new(k), &l);
            ok = push(&sp->tables, &sp->ntables, t);
        } else if (id == 5) {
            wasm_limits_t l = capi_types_limits(limits(c));
            ok = push(&sp->mems, &sp->nmems, (wasm_externtype_t *)wasm_memorytype_new(&l));
        } else {
            wasm_valkind_t k = capi_types_kind(byte(c));
            wasm_mutability_t mut = byte(c) ? WASM_VAR : WASM_CONST;
            skip_const_expr(c);
            ok = push(&sp->globals, &sp->nglobals, (wasm_externtype_t *)wasm_globaltype_new(wasm_valtype_new(k), mut));
        }
        if (!ok)
            return false;
    }
    return !c->bad;
}

static bool spaces_read(const CapiModule *m, Spaces *sp)
{
    uint32_t ni = lodge_module_num_imports(m->module);
    for (uint32_t i = 0; i < ni; i++) {
        lodge_import_desc_t d;
        lodge_module_import(m->module, i, &d);
        wasm_externtype_t *t = import_type(&d);
        bool ok = d.kind == LODGE_EXTERN_FUNC     ? push(&sp->funcs, &sp->nfuncs, t)
                  : d.kind == LODGE_EXTERN_TABLE  ? push(&sp->tables, &sp->ntables, t)
                  : d.kind == LODGE_EXTERN_MEMORY ? push(&sp->mems, &sp->nmems, t)
                                                  : push(&sp->globals, &sp->nglobals, t);
        if (!ok)
            return false;
    }
    Cursor c = {(const uint8_t *)m->bytes.data, (const uint8_t *)m->bytes.data + m->bytes.size, false};
    skip(&c, 8);                                     /* magic and version */
    while (!c.bad && c.p < c.end) {
        uint8_t id = byte(&c);
        uint64_t len = uleb(&c);
        if (c.bad || len > (uint64_t)(c.end - c.p))
            return false;
        Cursor sec = {c.p, c.p + len, false};
        if (!read_section(&sec, id, sp))
            return false;
        c.p += len;
    }
    return !c.bad;
}

void wasm_module_exports(const wasm_module_t *module, wasm_exporttype_vec_t *out)
{
    const CapiModule *m = module->m;
    Spaces sp;
    memset(&sp, 0, sizeof sp);
    wasm_exporttype_vec_new_empty(out);
    if (!spaces_read(m, &sp))
        goto done;
    uint32_t n = lodge_module_num_exports(m->module);
    wasm_exporttype_vec_new_uninitialized(out, n);
    if (out->size != n)
        goto done;
    for (uint32_t i = 0; i < n; i++) {
        lodge_export_desc_t d;
        lodge_module_export(m->module, i, &d);
        wasm_externtype_t **list;
        uint32_t count;
        switch (d.kind) {
        case LODGE_EXTERN_FUNC: list = sp.funcs; count = sp.nfuncs; break;
        case LODGE_EXTERN_TABLE: list = sp.tables; count = sp.ntables; break;
        case LODGE_EXTERN_MEMORY: list = sp.mems; count = sp.nmems; break;
        default: list = sp.globals; count = sp.nglobals; break;
        }
        wasm_name_t name;
        wasm_name_new(&name, d.name_len, d.name);
        wasm_externtype_t *t = d.index < count ? wasm_externtype_copy(list[d.index]) : NULL;
        out->data[i] = wasm_exporttype_new(&name, t);
        if (!out->data[i]) {
            wasm_exporttype_vec_delete(out);
            goto done;
        }
    }
done:
    spaces_free(&sp);
}

void wasm_module_imports(const wasm_module_t *module, wasm_importtype_vec_t *out)
{
    const lodge_module_t *lm = module->m->module;
    uint32_t n = lodge_module_num_imports(lm);
    wasm_importtype_vec_new_uninitialized(out, n);
    if (out->size != n)
        return;
    for (uint32_t i = 0; i < n; i++) {
        lodge_import_desc_t d;
        lodge_module_import(lm, i, &d);
        wasm_name_t mod, name;
        wasm_name_new(&mod, d.module_len, d.module);
        wasm_name_new(&name, d.name_len, d.name);
        out->data[i] = wasm_importtype_new(&mod, &name, import_type(&d));
        if (!out->data[i]) {
            wasm_importtype_vec_delete(out);
            return;
        }
    }
}

/* The function index of `name` in the name section's function names (subsection 1). */
static bool name_section_index(const CapiModule *m, const char *name, uint32_t *index)
{
    Cursor c = {(const uint8_t *)m->bytes.data, (const uint8_t *)m->bytes.data + m->bytes.size, false};
    skip(&c, 8);
    size_t want = strlen(name);
    while (!c.bad && c.p < c.end) {
        uint8_t id = byte(&c);
        uint64_t len = uleb(&c);
        if (c.bad || len > (uint64_t)(c.end - c.p))
            return false;
        Cursor sec = {c.p, c.p + len, false};
        c.p += len;
        if (id != 0)
            continue;
        uint64_t nlen = uleb(&sec);
        if (sec.bad || nlen != 4 || (uint64_t)(sec.end - sec.p) < 4 || memcmp(sec.p, "name", 4) != 0)
            continue;
        sec.p += 4;
        while (!sec.bad && sec.p < sec.end) {
            uint8_t sub = byte(&sec);
            uint64_t slen = uleb(&sec);
            if (sec.bad || slen > (uint64_t)(sec.end - sec.p))
                return false;
            Cursor names = {sec.p, sec.p + slen, false};
            sec.p += slen;
            if (sub != 1)
                continue;
            uint64_t n = uleb(&names);
            for (uint64_t i = 0; i < n && !names.bad; i++) {
                uint32_t idx = (uint32_t)uleb(&names);
                uint64_t l = uleb(&names);
                if (names.bad || l > (uint64_t)(names.end - names.p))
                    return false;
                if (l == want && memcmp(names.p, name, want) == 0) {
                    *index = idx;
                    return true;
                }
                names.p += l;
            }
        }
    }
    return false;
}

bool capi_reflect_func_index(const CapiModule *m, const char *name, uint32_t *index)
{
    /* Lodge names a frame by the name section first, then by the function's first export name. */
    if (name_section_index(m, name, index))
        return true;
    uint32_t n = lodge_module_num_exports(m->module);
    for (uint32_t e = 0; e < n; e++) {
        lodge_export_desc_t d;
        lodge_module_export(m->module, e, &d);
        if (d.kind == LODGE_EXTERN_FUNC && strcmp(d.name, name) == 0) {
            *index = d.index;
            return true;
        }
    }
    return false;
}
