/* memory.c: linear memories. On 64-bit hosts each memory reserves 8 GiB plus a page of address space:
 * any 32-bit address plus any 32-bit offset lands inside the reservation, and everything past the
 * current size is inaccessible, so loads and stores need no explicit bounds check. With explicit bounds
 * checks a memory reserves just its size (so a process holds far more of them: 128 TiB of address space
 * is 16,384 guarded memories) and moves, pages and all, when it grows past its reservation; the checked
 * interpreter reloads the base after every call and memory.grow. */
#include <stdlib.h>
#include <string.h>

#include "os/mem.h"
#include "wasm/engine.h"
#include "wasm/runtime.h"

#define GUARD_RESERVE ((size_t)1 << 33)

lodge_memory_t *memory_new(lodge_store_t *s, Limits lim, const MemImage *image, lodge_error_t *err)
{
    bool guarded = sizeof(void *) == 8 && !s->engine->cfg.bounds_checks;
    size_t page = os_page_size();
    size_t size = (size_t)lim.min * WASM_PAGE_SIZE;
    size_t reserve = guarded ? GUARD_RESERVE + page : size > page ? size : page;
    size_t isize = image && image->size <= size ? image->size : 0;
    lodge_memory_t *m = alloc_calloc(&s->alloc, 1, sizeof *m);
    if (!m) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        err->trap = LODGE_TRAP_OUT_OF_MEMORY;
        return NULL;
    }
    /* Every page of the initial size is charged, image or not: the guest may write them all. */
    if (!alloc_charge(&s->alloc, size)) {
        alloc_free(&s->alloc, m, sizeof *m);
        lodge_error_set(err, LODGE_ERR_NOMEM, "memory limit exceeded: linear memory of %u pages", lim.min);
        err->trap = LODGE_TRAP_MEMORY_LIMIT;
        return NULL;
    }
    PoolSlot want = {NULL, reserve, size, isize ? image->id : 0, isize};
    bool ready = engine_reservation_take(s->engine, &want);
    m->base = want.base ? want.base : os_mem_reserve(reserve);
    if (!m->base || (!ready && !(os_mem_image_map(m->base, isize, isize ? image->fd : -1) &&
                                 os_mem_commit(m->base + isize, size - isize)))) {
        os_mem_release(m->base, reserve);
        alloc_uncharge(&s->alloc, size);
        alloc_free(&s->alloc, m, sizeof *m);
        lodge_error_set(err, LODGE_ERR_NOMEM, "cannot reserve linear memory");
        err->trap = LODGE_TRAP_OUT_OF_MEMORY;
        return NULL;
    }
    m->size = size;
    m->reserved = reserve;
    m->lim = lim;
    m->guarded = guarded;
    m->store = s;
    m->image = want.image;
    m->image_size = isize;
    if (!store_track(s, OBJ_MEMORY, m)) {
        memory_free(m);
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        err->trap = LODGE_TRAP_OUT_OF_MEMORY;
        return NULL;
    }
    return m;
}

void memory_free(lodge_memory_t *m)
{
    Alloc *a = &m->store->alloc;
    alloc_uncharge(a, m->size);
    /* Back to the engine's pool with its contents dropped: the next memory of this shape reads zeros,
     * and the image where there is one, whatever this guest wrote. */
    PoolSlot slot = {m->base, m->reserved, m->size, m->image, m->image_size};
    if (!(os_mem_reset(m->base, m->size) && engine_reservation_give(m->store->engine, &slot)))
        os_mem_release(m->base, m->reserved);
    alloc_free(a, m, sizeof *m);
}

/* A checked memory outgrows its reservation: a larger one (at least double, at most the maximum), the
 * image mapping and the anonymous pages moved into it, the old one given back. */
static bool move_larger(lodge_memory_t *m, size_t need, size_t max)
{
    size_t want = m->reserved * 2 > need ? m->reserved * 2 : need;
    if (want > max)
        want = max;
    uint8_t *nb = os_mem_reserve(want);
    if (!nb)
        return false;
    size_t isize = m->image_size;
    if (!os_mem_move(m->base, isize, nb))
        goto fail;
    if (!os_mem_move(m->base + isize, m->size - isize, nb + isize)) {
        /* Put the image part back where it was. Should the kernel refuse that too, the memory is left
         * empty: every access traps (bounds-checked), none reaches a hole. */
        if (!os_mem_move(nb, isize, m->base)) {
            alloc_uncharge(&m->store->alloc, m->size);
            m->size = 0;
        }
        goto fail;
    }
    if (m->reserved > m->size)
        os_mem_release(m->base + m->size, m->reserved - m->size);
    m->base = nb;
    m->reserved = want;
    return true;
fail:
    os_mem_release(nb, want);
    return false;
}

int64_t memory_grow(lodge_memory_t *m, uint32_t delta)
{
    uint64_t old = m->size / WASM_PAGE_SIZE;
    uint64_t max = m->lim.has_max ? m->lim.max : WASM_MAX_PAGES;
    if (old + delta > max)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    size_t add = (size_t)delta * WASM_PAGE_SIZE;
    if (!alloc_charge(&m->store->alloc, add))
        return -1;
    if ((m->size + add > m->reserved && !move_larger(m, m->size + add, (size_t)max * WASM_PAGE_SIZE)) ||
        !os_mem_commit(m->base + m->size, add)) {
        alloc_uncharge(&m->store->alloc, add);
        return -1;
    }
    m->size += add;
    return (int64_t)old;
}

lodge_memory_t *lodge_memory_new(lodge_store_t *s, lodge_limits_t limits, lodge_error_t *err)
{
    Limits l = {limits.min, limits.max, limits.has_max};
    if (l.min > WASM_MAX_PAGES || (l.has_max && (l.max > WASM_MAX_PAGES || l.max < l.min))) {
        lodge_error_set(err, LODGE_ERR_ARG, "invalid memory limits");
        return NULL;
    }
    return memory_new(s, l, NULL, err);
}

uint8_t *lodge_memory_data(const lodge_memory_t *m) { return m->base; }
size_t lodge_memory_size(const lodge_memory_t *m) { return m->size; }
int64_t lodge_memory_grow(lodge_memory_t *m, uint32_t delta) { return memory_grow(m, delta); }

void lodge_memory_type(const lodge_memory_t *m, lodge_limits_t *out)
{
    out->min = (uint32_t)(m->size / WASM_PAGE_SIZE);
    out->max = m->lim.max;
    out->has_max = m->lim.has_max;
}
