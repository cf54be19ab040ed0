/* vec.h: growable arrays over the accounted allocator. VEC(T) is an anonymous struct {data, len, cap}. */
#ifndef LODGE_BASE_VEC_H
#define LODGE_BASE_VEC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/alloc.h"

#define VEC(T) struct { T *data; uint32_t len, cap; }

/* Grow *data so it holds at least `need` elements of `elem` bytes. False when out of memory. */
bool vec_reserve_(Alloc *a, void **data, uint32_t *cap, uint32_t need, size_t elem);

#define VEC_RESERVE(a, v, n) \
    ((n) <= (v)->cap || vec_reserve_((a), (void **)&(v)->data, &(v)->cap, (n), sizeof *(v)->data))
#define VEC_PUSH(a, v, x) \
    (VEC_RESERVE((a), (v), (v)->len + 1) ? ((v)->data[(v)->len++] = (x), true) : false)
#define VEC_FREE(a, v) \
    (alloc_free((a), (v)->data, (size_t)(v)->cap * sizeof *(v)->data), (v)->data = NULL, (v)->len = (v)->cap = 0)

#endif
