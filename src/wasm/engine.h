/* engine.h: the engine: configuration and the registry that gives equal function types equal ids, so
 * call_indirect compares types across modules with one integer compare. Shared by threads (locked). */
#ifndef LODGE_WASM_ENGINE_H
#define LODGE_WASM_ENGINE_H

#include <pthread.h>

#include "lodge.h"
#include "wasm/module.h"

/* Linear-memory reservations given back by deleted memories, kept for the next memory of the same
 * shape: same reservation size, same committed size, same memory image (0: none). Before a slot is
 * kept its contents are dropped (madvise): its anonymous pages read as zeros again and its image pages
 * as the image, so a new memory of that shape costs no system call at all, and one of another shape
 * one call to reshape. Nothing resident is kept, so nothing is charged. */
#define ENGINE_POOL_MAX 256

typedef struct PoolSlot {
    void *base;
    size_t size;        /* reserved bytes */
    size_t committed;   /* bytes accessible from base */
    uint64_t image;     /* the image mapped at base (an engine-wide id), 0: none */
    size_t image_size;
} PoolSlot;

/* The guest stacks of deleted stores (exec.c), each with just its first commit left, for the next store's
 * first run. Their contents are never read before being written (locals are zeroed at entry, operands
 * written before use), so they are kept as they are. */
#define ENGINE_STACKS_MAX 64

typedef struct ReservationPool {
    pthread_mutex_t lock;
    uint32_t n;
    uint64_t next_image;  /* ids for modules' memory images */
    PoolSlot slot[ENGINE_POOL_MAX];
    uint32_t nstacks;
    struct {
        void *base;
        size_t size;
    } stacks[ENGINE_STACKS_MAX];
} ReservationPool;

/* The registry is engine-wide, shared by every module and store of the engine and never shrinking, so
 * it belongs to no guest: it uses the process's allocator (malloc) and is bounded by the distinct
 * function types the embedder's modules declare, which each module's decoding already paid for. */
struct lodge_engine {
    lodge_config_t cfg;
    pthread_mutex_t lock;
    FuncType **types;    /* canonical types, by id; each record stays where it is as the table grows */
    uint32_t *next;      /* hash chain through types, by id */
    uint32_t ntypes, cap;
    uint32_t buckets[1024]; /* head id + 1 of each chain; 0 = empty */
    ReservationPool pool;
};

/* The id of the function type (params then results); UINT32_MAX when out of memory. Thread-safe. */
uint32_t engine_intern_type(lodge_engine_t *e, const ValType *types, uint32_t nparams, uint32_t nresults);
const FuncType *engine_type(lodge_engine_t *e, uint32_t id);

/* A pooled reservation for `want` (base, size, committed, image, image_size filled in, base ignored).
 * True when one of exactly that shape was found (ready to use as it is); false when none was, or when
 * the one found had another shape: then want->base is that reservation made bare (inaccessible, no
 * pages), or NULL when there was none. Thread-safe. */
bool engine_reservation_take(lodge_engine_t *e, PoolSlot *want);
/* Keep a reservation whose contents were dropped; false when the pool is full (the caller releases). */
bool engine_reservation_give(lodge_engine_t *e, const PoolSlot *slot);
/* A pooled guest stack of `size` reserved bytes, or NULL; give one back (false: pool full). */
void *engine_stack_take(lodge_engine_t *e, size_t size);
bool engine_stack_give(lodge_engine_t *e, void *base, size_t size);
/* A new id for a memory image; release the pooled slots that map image `id` (its module is going). */
uint64_t engine_image_id(lodge_engine_t *e);
void engine_image_forget(lodge_engine_t *e, uint64_t id);

#endif
