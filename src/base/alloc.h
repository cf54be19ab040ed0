/* alloc.h: the one accounted allocator. Every engine and store allocates through an Alloc, which counts
 * bytes against a limit (a per-guest memory budget) and, in tests, can be told to fail the Nth call. */
#ifndef LODGE_BASE_ALLOC_H
#define LODGE_BASE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Alloc {
    size_t used;        /* bytes currently accounted */
    size_t limit;       /* 0 = no limit */
    uint64_t calls;     /* allocation calls so far */
    uint64_t fail_at;   /* test hook: fail the allocation call with this number (1-based); 0 = never */
} Alloc;

void alloc_init(Alloc *a, size_t limit);
/* Account n bytes without allocating them (e.g. reserved linear memory). False when over the limit. */
bool alloc_charge(Alloc *a, size_t n);
void alloc_uncharge(Alloc *a, size_t n);
/* malloc/calloc/realloc/free with accounting; a NULL Alloc means unaccounted. Sizes are the caller's to
 * remember (like Lua's lua_Alloc), which keeps the allocator free of headers. */
void *alloc_malloc(Alloc *a, size_t n);
void *alloc_calloc(Alloc *a, size_t count, size_t size);
void *alloc_realloc(Alloc *a, void *p, size_t old_n, size_t new_n);
void alloc_free(Alloc *a, void *p, size_t n);

/* The same for owners of many pieces of many sizes (a decoded module): each block remembers its size in
 * a header (ALLOC_HEADER bytes, accounted too), so freeing needs no bookkeeping by the owner. */
#define ALLOC_HEADER 16
void *alloc_hmalloc(Alloc *a, size_t n);
void *alloc_hcalloc(Alloc *a, size_t count, size_t size);
void *alloc_hrealloc(Alloc *a, void *p, size_t n);
void alloc_hfree(Alloc *a, void *p);
/* A NUL-terminated copy of the n bytes at s. */
char *alloc_hstrndup(Alloc *a, const char *s, size_t n);

#endif
