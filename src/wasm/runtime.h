/* runtime.h: run-time objects of the process VM: stores, instances, functions, memories, tables, globals,
 * and the execution context (value and frame stacks) a store runs guest code on. */
#ifndef LODGE_WASM_RUNTIME_H
#define LODGE_WASM_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/alloc.h"
#include "lodge.h"
#include "wasm/module.h"

/* One operand-stack or local slot. Every wasm value fits in 64 bits (no SIMD yet). */
typedef union Slot {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
    void *ref;
} Slot;

typedef struct lodge_instance Instance;

struct lodge_func {
    const FuncType *type;       /* canonical, owned by the engine */
    uint32_t type_id;
    Instance *inst;             /* NULL for host functions */
    uint32_t index;             /* function index in inst's module */
    struct InterpCode *code;    /* lowered body (wasm functions) */
    lodge_host_fn host;
    void *env;
    void (*finalizer)(void *);
    lodge_store_t *store;
};

struct lodge_memory {
    uint8_t *base;              /* reservation start; never moves */
    size_t size;                /* accessible bytes = pages * 64 KiB */
    size_t reserved;            /* bytes of address space reserved (guard mode: 8 GiB + a page) */
    Limits lim;
    bool guarded;               /* out-of-bounds accesses fault into the guard region */
    uint64_t image;             /* the memory image it started from (engine-wide id), 0: none */
    size_t image_size;
    lodge_store_t *store;
};

struct lodge_table {
    Slot *elems;
    uint32_t size, cap;
    ValType elem;
    Limits lim;
    lodge_store_t *store;
};

struct lodge_global {
    Slot val;
    ValType type;
    bool mut;
};

/* An instance is one block from the store's allocator (instance_new in instance.c lays it out): the
 * arrays below point into it, after the struct. */
struct lodge_instance {
    const Module *module;
    lodge_store_t *store;
    lodge_func_t **funcs;       /* by function index (imports first) */
    lodge_table_t **tables;
    lodge_memory_t *mem;        /* memory 0 or NULL (Wasm 2.0 has at most one) */
    lodge_global_t **globals;
    bool *elem_dropped;
    bool *data_dropped;
    lodge_func_t *own_funcs;    /* storage for the defined functions */
    lodge_global_t *own_globals;/* storage for the defined globals */
    size_t bytes;               /* size of the block */
};

/* A call frame on the frame stack: where to resume the caller. */
typedef struct Frame {
    const uint32_t *ret_ip;
    Slot *fp;
    lodge_func_t *fn;
} Frame;

/* The execution context of a store: value stack, frame stack, and the state of the current run. Both
 * stacks are reserved at their configured maximum (frames point into them, so they never move) and
 * committed, and charged to the store, as they grow: stack_end and max_frames are the committed ends. */
typedef struct Exec {
    Slot *stack, *stack_end;
    Slot *stack_top;            /* first free slot for a nested entry from a host function */
    Frame *frames;
    uint32_t nframes, max_frames;
    Slot *stack_limit;          /* the configured maximum of each */
    uint32_t frames_limit;
    size_t reserved;            /* bytes reserved at `stack` (the frames follow the slots) */
    size_t stack_committed, frames_committed; /* bytes committed (and charged) of each */
    lodge_trap_kind_t trap;
    const char *trap_msg;       /* host error message, when trap == HOST */
    int exit_code;
    bool exiting;               /* a host function asked to exit */
    lodge_func_t *cur_fn;       /* the wasm function calling a host function (its lodge_caller_t) */
    lodge_error_t *host_err;
} Exec;

typedef enum ObjKind { OBJ_FUNC, OBJ_TABLE, OBJ_MEMORY, OBJ_GLOBAL, OBJ_INSTANCE, OBJ_FINALIZER } ObjKind;

/* OBJ_FINALIZER: a callback run when the store is deleted (store_on_delete in wasm/store.h). */
typedef struct StoreFinalizer {
    void (*fn)(void *data);
    void *data;
} StoreFinalizer;

typedef struct Obj {
    ObjKind kind;
    void *p;
} Obj;

struct lodge_store {
    lodge_engine_t *engine;
    Alloc alloc;
    Obj *objs;                  /* everything created in the store, freed with it */
    uint32_t nobjs, capobjs;
    lodge_memory_t **mems;      /* for the fault handler: which addresses are guest memory */
    uint32_t nmems, capmems;
    Exec exec;
    uint64_t fuel;              /* remaining; 0 = unlimited */
    bool fuel_limited;
    atomic_bool interrupt;
    lodge_interrupt_fn on_interrupt;  /* the embedder's scheduler, or NULL: an interrupt traps */
    void *on_interrupt_data;
    void *data;
    uint32_t depth;             /* nesting of lodge_func_call */
};

bool store_track(lodge_store_t *s, ObjKind kind, void *p);

/* A module's memory image (image.c): a memory file holding bytes [0, size) of its initial memory. */
typedef struct MemImage {
    int fd;
    size_t size;
    uint64_t id;
} MemImage;

/* A new memory; with an image, bytes [0, image->size) start as the image, copy-on-write, and the rest
 * as zeros. */
lodge_memory_t *memory_new(lodge_store_t *s, Limits lim, const MemImage *image, lodge_error_t *err);
/* Release a memory and its charge (the store's object list owns memories). */
void memory_free(lodge_memory_t *m);
/* Grow by delta pages; returns old pages or -1. */
int64_t memory_grow(lodge_memory_t *m, uint32_t delta);

lodge_table_t *table_new(lodge_store_t *s, ValType elem, Limits lim, void *init, lodge_error_t *err);
int64_t table_grow(lodge_table_t *t, uint32_t delta, void *init);

/* Commit more of the guest's stacks so that slots up to `slot_end` and `nframes` frames fit. False with
 * ex->trap set: STACK_EXHAUSTED past the configured maximum, OUT_OF_MEMORY when the store's limit (or
 * the host) refuses. */
bool exec_stack_grow(lodge_store_t *s, const Slot *slot_end, uint32_t nframes);
/* Release the guest's stacks and their charge. */
void exec_free(lodge_store_t *s);

/* Run a function (any kind) with args/results as Slots. On a trap fills err and returns false. */
bool exec_call(lodge_store_t *s, lodge_func_t *f, Slot *args, Slot *results, lodge_error_t *err);

#endif
