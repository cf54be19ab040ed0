/* store.h: what other subsystems (WASI) may use of a store beyond lodge.h: its accounted allocator, so
 * that their tables count against the store's max_memory, and finalizers run when it is deleted, so that
 * their state lives exactly as long as the store. */
#ifndef LODGE_WASM_STORE_H
#define LODGE_WASM_STORE_H

#include <stdbool.h>

#include "base/alloc.h"
#include "lodge.h"

/* The store's allocator: bytes allocated through it count against the store's max_memory. Valid until
 * the store is deleted; used on the store's thread only. */
Alloc *store_alloc(lodge_store_t *s);
/* Run fn(data) when the store is deleted, after every object created later has been freed and before
 * those created earlier (reverse order of creation, as for every object of the store). False when out
 * of memory (nothing registered). */
bool store_on_delete(lodge_store_t *s, void (*fn)(void *data), void *data);

#endif
