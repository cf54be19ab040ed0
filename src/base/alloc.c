/* alloc.c: accounted allocation (see alloc.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

void alloc_init(Alloc *a, size_t limit)
{
    memset(a, 0, sizeof *a);
    a->limit = limit;
}

bool alloc_charge(Alloc *a, size_t n)
{
    if (!a)
        return true;
    a->calls++;
    if (a->fail_at && a->calls == a->fail_at)
        return false;
    if (a->limit && (n > a->limit || a->used > a->limit - n))
        return false;
    a->used += n;
    return true;
}

void alloc_uncharge(Alloc *a, size_t n)
{
    if (a)
        a->used = n > a->used ? 0 : a->used - n;
}

void *alloc_malloc(Alloc *a, size_t n)
{
    if (!alloc_charge(a, n))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (!p)
        alloc_uncharge(a, n);
    return p;
}

void *alloc_calloc(Alloc *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    if (!alloc_charge(a, n))
        return NULL;
    void *p = calloc(n ? n : 1, 1);
    if (!p)
        alloc_uncharge(a, n);
    return p;
}

void *alloc_realloc(Alloc *a, void *p, size_t old_n, size_t new_n)
{
    if (new_n > old_n && !alloc_charge(a, new_n - old_n))
        return NULL;
    void *q = realloc(p, new_n ? new_n : 1);
    if (!q) {
        if (new_n > old_n)
            alloc_uncharge(a, new_n - old_n);
        return NULL;
    }
    if (new_n < old_n)
        alloc_uncharge(a, old_n - new_n);
    return q;
}

void alloc_free(Alloc *a, void *p, size_t n)
{
    if (!p)
        return;
    free(p);
    alloc_uncharge(a, n);
}

/* The header is 16 bytes so the block after it keeps malloc's 16-byte alignment. */
typedef struct Header {
    _Alignas(ALLOC_HEADER) size_t n;
} Header;
_Static_assert(sizeof(Header) == ALLOC_HEADER, "allocation header size");

void *alloc_hmalloc(Alloc *a, size_t n)
{
    if (n > SIZE_MAX - sizeof(Header))
        return NULL;
    Header *h = alloc_malloc(a, sizeof *h + n);
    if (!h)
        return NULL;
    h->n = n;
    return h + 1;
}

void *alloc_hcalloc(Alloc *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    if (n > SIZE_MAX - sizeof(Header))
        return NULL;
    Header *h = alloc_calloc(a, 1, sizeof *h + n);
    if (!h)
        return NULL;
    h->n = n;
    return h + 1;
}

void *alloc_hrealloc(Alloc *a, void *p, size_t n)
{
    if (!p)
        return alloc_hmalloc(a, n);
    if (n > SIZE_MAX - sizeof(Header))
        return NULL;
    Header *h = (Header *)p - 1;
    Header *q = alloc_realloc(a, h, sizeof *h + h->n, sizeof *h + n);
    if (!q)
        return NULL;
    q->n = n;
    return q + 1;
}

void alloc_hfree(Alloc *a, void *p)
{
    if (!p)
        return;
    Header *h = (Header *)p - 1;
    alloc_free(a, h, sizeof *h + h->n);
}

char *alloc_hstrndup(Alloc *a, const char *s, size_t n)
{
    char *d = alloc_hmalloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = 0;
    return d;
}
