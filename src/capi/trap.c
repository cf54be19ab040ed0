/* trap.c: traps and their frames, and the one place a Lodge error becomes a wasm_trap_t: its message,
 * and frames read from Lodge's text backtrace ("  0: name"), each matched to an instance made through
 * this interface when the name tells which (export names, or "func[N]" for the function index). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

/* ---- Frames ---- */

void wasm_frame_delete(wasm_frame_t *f)
{
    if (!f)
        return;
    wasm_instance_delete(f->instance);
    free(f);
}

wasm_frame_t *wasm_frame_copy(const wasm_frame_t *f)
{
    wasm_frame_t *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *f;
    c->instance = f->instance ? wasm_instance_copy(f->instance) : NULL;
    return c;
}

wasm_instance_t *wasm_frame_instance(const wasm_frame_t *f) { return f->instance; }
uint32_t wasm_frame_func_index(const wasm_frame_t *f) { return f->func_index; }
size_t wasm_frame_func_offset(const wasm_frame_t *f) { return f->func_offset; }
size_t wasm_frame_module_offset(const wasm_frame_t *f) { return f->module_offset; }

/* ---- Traps ---- */

static wasm_trap_t *trap_new_n(wasm_store_t *s, const char *msg, size_t len)
{
    wasm_trap_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->r.kind = CAPI_TRAP;
    t->r.store = s;
    /* The message keeps a terminating NUL, counted in its size, as the interface says. */
    wasm_byte_vec_new_uninitialized(&t->message, len + 1);
    if (t->message.size) {
        memcpy(t->message.data, msg, len);
        t->message.data[len] = 0;
    }
    wasm_frame_vec_new_empty(&t->trace);
    return t;
}

wasm_trap_t *capi_trap_new(wasm_store_t *s, const char *msg)
{
    return trap_new_n(s, msg, strlen(msg));
}

wasm_trap_t *wasm_trap_new(wasm_store_t *s, const wasm_message_t *msg)
{
    size_t len = msg ? msg->size : 0;
    /* Accept the message with or without its NUL. */
    if (len && msg->data[len - 1] == 0)
        len--;
    return trap_new_n(s, msg ? msg->data : "", len);
}

void wasm_trap_message(const wasm_trap_t *t, wasm_message_t *out)
{
    wasm_byte_vec_copy(out, &t->message);
}

wasm_frame_t *wasm_trap_origin(const wasm_trap_t *t)
{
    return t->trace.size ? wasm_frame_copy(t->trace.data[0]) : NULL;
}

void wasm_trap_trace(const wasm_trap_t *t, wasm_frame_vec_t *out)
{
    wasm_frame_vec_copy(out, &t->trace);
}

/* The instance and function index a backtrace name stands for, searching the newest instances first. */
static bool resolve(wasm_store_t *s, const char *name, lodge_instance_t **inst, uint32_t *index)
{
    for (size_t i = s->ninstances; i-- > 0;) {
        const lodge_module_t *m = s->instances[i].module->module;
        uint32_t n = lodge_module_num_exports(m);
        for (uint32_t e = 0; e < n; e++) {
            lodge_export_desc_t d;
            lodge_module_export(m, e, &d);
            if (d.kind != LODGE_EXTERN_FUNC)
                continue;
            lodge_extern_t x;
            const char *fname = NULL;
            if (lodge_instance_export_n(s->instances[i].instance, d.name, d.name_len, &x))
                fname = lodge_func_name(x.of.func);
            if (strcmp(d.name, name) == 0 || (fname && strcmp(fname, name) == 0)) {
                *inst = s->instances[i].instance;
                *index = d.index;
                return true;
            }
        }
    }
    return false;
}

static wasm_frame_t *frame_from_line(wasm_store_t *s, const char *name)
{
    wasm_frame_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    unsigned idx;
    lodge_instance_t *inst = NULL;
    char tail;
    if (sscanf(name, "func[%u%c", &idx, &tail) == 2 && tail == ']') {
        f->func_index = idx;
    } else if (resolve(s, name, &inst, &f->func_index)) {
        f->instance = (wasm_instance_t *)capi_ref_new(s, CAPI_INSTANCE, inst);
    }
    return f;
}

wasm_trap_t *capi_trap_from_error(wasm_store_t *s, const lodge_error_t *err)
{
    const char *msg = err->message[0] ? err->message : lodge_trap_name(err->trap);
    wasm_trap_t *t = capi_trap_new(s, msg);
    if (!t || !err->backtrace[0])
        return t;
    size_t n = 0;
    for (const char *p = err->backtrace; *p; p++)
        n += *p == '\n';
    wasm_frame_vec_delete(&t->trace);
    wasm_frame_vec_new_uninitialized(&t->trace, n);
    size_t k = 0;
    for (const char *p = err->backtrace; *p && k < t->trace.size;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon && colon + 2 <= p + len) {
            char name[LODGE_BACKTRACE_MAX];
            size_t nl = (size_t)(p + len - (colon + 2));
            memcpy(name, colon + 2, nl);
            name[nl] = 0;
            wasm_frame_t *f = frame_from_line(s, name);
            if (f)
                t->trace.data[k++] = f;
        }
        p += len + (eol != NULL);
    }
    t->trace.size = k;
    return t;
}
