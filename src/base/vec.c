/* vec.c: the growth policy of VEC arrays. */
#include "base/vec.h"

bool vec_reserve_(Alloc *a, void **data, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        ncap = UINT32_MAX;
    if (ncap < need || ncap * elem / elem != ncap)
        return false;
    void *p = alloc_realloc(a, *data, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!p)
        return false;
    *data = p;
    *cap = (uint32_t)ncap;
    return true;
}
