/* trap.c: traps and their frames, and the one place a Lodge error becomes a wasm_trap_t: its message,
 * and frames read from Lodge's text backtrace ("  0: name"): "func[N]" gives the function index; a name
 * (name section or export) is matched to an instance made through this interface, which gives both. */
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

static wasm_frame_t *frame_from_line(wasm_store_t *s, const char *name, const CapiModule *hint)
{
    wasm_frame_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    unsigned idx;
    char tail;
    if (sscanf(name, "func[%u%c", &idx, &tail) == 2 && tail == ']') {
        f->func_index = idx;
        return f;
    }
    /* The newest instance first: it is the likeliest to be running. */
    for (size_t i = s->ninstances; i-- > 0;)
        if (capi_reflect_func_index(s->instances[i].module, name, &f->func_index)) {
            f->instance = (wasm_instance_t *)capi_ref_new(s, CAPI_INSTANCE, s->instances[i].instance);
            return f;
        }
    if (hint)
        capi_reflect_func_index(hint, name, &f->func_index);
    return f;
}

wasm_trap_t *capi_trap_from_error(wasm_store_t *s, const lodge_error_t *err, const CapiModule *hint)
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
            wasm_frame_t *f = frame_from_line(s, name, hint);
            if (f)
                t->trace.data[k++] = f;
        }
        p += len + (eol != NULL);
    }
    t->trace.size = k;
    return t;
}
