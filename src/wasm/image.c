/* image.c: the copy-on-write image of a module's initial memory. Instead of writing the data segments
 * into every new memory, the memory after them is built once per module in a memory file (memfd) and
 * mapped private into each new memory's reservation: instantiation touches no page, a guest reading its
 * data shares the module's pages, and a guest writing gets its own copy of just that page. */
#include "os/mem.h"
#include "wasm/engine.h"
#include "wasm/module.h"
#include "wasm/opcode.h"

/* May memory 0 start from an image: it is the module's own, and every active segment has a constant
 * offset and lies inside the initial size (else instantiation traps, which copying handles). */
static bool image_possible(const Module *m, size_t *end)
{
    if (m->nmems == 0 || m->nimported_mems != 0)
        return false;
    uint64_t initial = (uint64_t)m->mems[0].min * WASM_PAGE_SIZE;
    uint64_t hi = 0;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const DataSeg *ds = &m->datas[i];
        if (ds->mode != SEG_ACTIVE)
            continue;
        if (ds->offset.op != OP_I32_CONST)
            return false; /* global.get: the offset is the importer's */
        uint64_t off = (uint32_t)ds->offset.value;
        if (off + ds->len > initial)
            return false;
        if (ds->len && off + ds->len > hi)
            hi = off + ds->len;
    }
    size_t page = os_page_size();
    *end = (size_t)((hi + page - 1) / page * page);
    return *end > 0;
}

/* Build the image (under the module's lock). Its bytes are the module's: charged to its allocator. */
static int image_build(Module *m)
{
    size_t size;
    if (!image_possible(m, &size))
        return IMAGE_NONE;
    if (!alloc_charge(&m->alloc, size))
        return IMAGE_NONE; /* instances copy their segments instead */
    int fd = os_mem_image_create(size);
    if (fd < 0) {
        alloc_uncharge(&m->alloc, size);
        return IMAGE_NONE;
    }
    /* In the spec's order: a later segment overwrites an earlier one where they overlap. */
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const DataSeg *ds = &m->datas[i];
        if (ds->mode == SEG_ACTIVE && ds->len &&
            !os_mem_image_write(fd, (uint32_t)ds->offset.value, m->bytes + ds->start, ds->len)) {
            os_mem_image_close(fd);
            alloc_uncharge(&m->alloc, size);
            return IMAGE_NONE;
        }
    }
    m->image_fd = fd;
    m->image_size = size;
    m->image_id = engine_image_id(m->engine);
    return IMAGE_READY;
}

bool image_get(const Module *cm, int *fd, size_t *size, uint64_t *id)
{
    Module *m = (Module *)cm; /* the image is the module's mutable part, guarded by its lock */
    int state = __atomic_load_n(&m->image_state, __ATOMIC_ACQUIRE);
    if (state == IMAGE_UNKNOWN) {
        pthread_mutex_lock(&m->lock);
        state = m->image_state;
        if (state == IMAGE_UNKNOWN) {
            state = image_build(m);
            __atomic_store_n(&m->image_state, state, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&m->lock);
    }
    if (state != IMAGE_READY)
        return false;
    *fd = m->image_fd;
    *size = m->image_size;
    *id = m->image_id;
    return true;
}

void image_free(Module *m)
{
    if (m->image_state == IMAGE_READY) {
        engine_image_forget(m->engine, m->image_id); /* pooled memories still mapping it */
        os_mem_image_close(m->image_fd);
        alloc_uncharge(&m->alloc, m->image_size);
    }
    m->image_state = IMAGE_NONE;
}
