/* vec.c: the vector functions of every vector type, from one pattern. A vector that cannot be
 * allocated comes back empty (size 0, data NULL): the interface has no way to report the failure. */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

/* Vectors of plain values: bytes are copied as they are; values through wasm_val_copy/_delete, so
 * the references they hold are copied and released. */
#define CAPI_VEC_PLAIN(name, copy_one, delete_one)                                                  \
    void wasm_##name##_vec_new_empty(wasm_##name##_vec_t *out)                                     \
    {                                                                                               \
        out->size = 0;                                                                              \
        out->data = NULL;                                                                           \
    }                                                                                               \
    void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t *out, size_t n)                   \
    {                                                                                               \
        out->data = n ? calloc(n, sizeof *out->data) : NULL;                                        \
        out->size = out->data ? n : 0;                                                              \
    }                                                                                               \
    void wasm_##name##_vec_new(wasm_##name##_vec_t *out, size_t n, wasm_##name##_t const src[])    \
    {                                                                                               \
        wasm_##name##_vec_new_uninitialized(out, n);                                                \
        if (out->size)                                                                              \
            memcpy(out->data, src, n * sizeof *out->data);                                          \
        for (size_t i = 0; !out->size && i < n; i++) { /* owned elements with nowhere to go */      \
            wasm_##name##_t e = src[i];                                                             \
            delete_one(&e);                                                                         \
        }                                                                                           \
    }                                                                                               \
    void wasm_##name##_vec_copy(wasm_##name##_vec_t *out, const wasm_##name##_vec_t *src)          \
    {                                                                                               \
        wasm_##name##_vec_new_uninitialized(out, src->size);                                        \
        for (size_t i = 0; i < out->size; i++)                                                      \
            copy_one(&out->data[i], &src->data[i]);                                                 \
    }                                                                                               \
    void wasm_##name##_vec_delete(wasm_##name##_vec_t *v)                                          \
    {                                                                                               \
        if (!v)                                                                                     \
            return;                                                                                 \
        for (size_t i = 0; i < v->size; i++)                                                        \
            delete_one(&v->data[i]);                                                                \
        free(v->data);                                                                              \
        v->size = 0;                                                                                \
        v->data = NULL;                                                                             \
    }

static void byte_copy(wasm_byte_t *out, const wasm_byte_t *in) { *out = *in; }
static void byte_delete(wasm_byte_t *b) { (void)b; }

CAPI_VEC_PLAIN(byte, byte_copy, byte_delete)
CAPI_VEC_PLAIN(val, wasm_val_copy, wasm_val_delete)

/* Vectors of owned pointers: each element is deep-copied with wasm_X_copy and released with
 * wasm_X_delete (which accept NULL). */
#define CAPI_VEC_OWN(name)                                                                          \
    void wasm_##name##_vec_new_empty(wasm_##name##_vec_t *out)                                     \
    {                                                                                               \
        out->size = 0;                                                                              \
        out->data = NULL;                                                                           \
    }                                                                                               \
    void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t *out, size_t n)                   \
    {                                                                                               \
        out->data = n ? calloc(n, sizeof *out->data) : NULL;                                        \
        out->size = out->data ? n : 0;                                                              \
    }                                                                                               \
    void wasm_##name##_vec_new(wasm_##name##_vec_t *out, size_t n, wasm_##name##_t *const src[])   \
    {                                                                                               \
        wasm_##name##_vec_new_uninitialized(out, n);                                                \
        if (out->size)                                                                              \
            memcpy(out->data, src, n * sizeof *out->data);                                          \
        for (size_t i = 0; !out->size && i < n; i++) /* owned elements with nowhere to go */        \
            wasm_##name##_delete(src[i]);                                                           \
    }                                                                                               \
    void wasm_##name##_vec_copy(wasm_##name##_vec_t *out, const wasm_##name##_vec_t *src)          \
    {                                                                                               \
        wasm_##name##_vec_new_uninitialized(out, src->size);                                        \
        for (size_t i = 0; i < out->size; i++)                                                      \
            out->data[i] = src->data[i] ? wasm_##name##_copy(src->data[i]) : NULL;                  \
    }                                                                                               \
    void wasm_##name##_vec_delete(wasm_##name##_vec_t *v)                                          \
    {                                                                                               \
        if (!v)                                                                                     \
            return;                                                                                 \
        for (size_t i = 0; i < v->size; i++)                                                        \
            wasm_##name##_delete(v->data[i]);                                                       \
        free(v->data);                                                                              \
        v->size = 0;                                                                                \
        v->data = NULL;                                                                             \
    }

CAPI_VEC_OWN(valtype)
CAPI_VEC_OWN(functype)
CAPI_VEC_OWN(globaltype)
CAPI_VEC_OWN(tabletype)
CAPI_VEC_OWN(memorytype)
CAPI_VEC_OWN(externtype)
CAPI_VEC_OWN(importtype)
CAPI_VEC_OWN(exporttype)
CAPI_VEC_OWN(frame)
CAPI_VEC_OWN(extern)
