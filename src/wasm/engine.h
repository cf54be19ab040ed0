/* engine.h: the engine: configuration and the registry that gives equal function types equal ids, so
 * call_indirect compares types across modules with one integer compare. Shared by threads (locked). */
#ifndef LODGE_WASM_ENGINE_H
#define LODGE_WASM_ENGINE_H

#include <pthread.h>

#include "lodge.h"
#include "wasm/module.h"

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
};

/* The id of the function type (params then results); UINT32_MAX when out of memory. Thread-safe. */
uint32_t engine_intern_type(lodge_engine_t *e, const ValType *types, uint32_t nparams, uint32_t nresults);
const FuncType *engine_type(lodge_engine_t *e, uint32_t id);

#endif
