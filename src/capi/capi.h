/* capi.h: the objects behind include/wasm.h and the conversions between them and lodge.h's.
 * Everything here is built over the public lodge.h only; this folder is where Lodge's errors become
 * the standard interface's traps. */
#ifndef CAPI_H
#define CAPI_H

#include <stdatomic.h>

#include "lodge.h"
#include "wasm.h"

/* ---- Types (types.c) ----------------------------------------------------------------------------- */

/* Lodge's binary value-type encoding <-> wasm_valkind_t. v128 has no kind in the interface: it shows as
 * CAPI_V128 (the number other engines use) and its values cannot cross. */
#define CAPI_V128 4
wasm_valkind_t capi_types_kind(lodge_valtype_t t);
/* false for a kind Lodge has no type for. */
bool capi_types_lodge(wasm_valkind_t k, lodge_valtype_t *out);

/* Every extern type starts with its kind, so one pointer serves as any of the four. */
struct wasm_externtype_t {
    wasm_externkind_t kind;
};
struct wasm_valtype_t {
    wasm_valkind_t kind;
};
struct wasm_functype_t {
    wasm_externtype_t ext;
    wasm_valtype_vec_t params, results;
};
struct wasm_globaltype_t {
    wasm_externtype_t ext;
    wasm_valtype_t *content;
    wasm_mutability_t mutability;
};
struct wasm_tabletype_t {
    wasm_externtype_t ext;
    wasm_valtype_t *element;
    wasm_limits_t limits;
};
struct wasm_memorytype_t {
    wasm_externtype_t ext;
    wasm_limits_t limits;
};

/* Owned types built from Lodge's descriptions; NULL when out of memory. */
wasm_functype_t *capi_types_functype(const lodge_functype_t *t);
wasm_limits_t capi_types_limits(lodge_limits_t l);
lodge_limits_t capi_types_lodge_limits(const wasm_limits_t *l);

/* ---- Stores (engine.c) --------------------------------------------------------------------------- */

/* A foreign object's identity, and the stand-in Lodge holds when any reference travels as an
 * externref: Lodge's externref is a host pointer, so every reference that crosses becomes a cell the
 * store owns, found again by what it stands for. */
typedef struct CapiCell {
    uint8_t kind;            /* CapiKind of what it stands for */
    void *payload;           /* the Lodge object, or the cell itself for a foreign object */
} CapiCell;

/* Host information attached to an object that lives in the store. */
typedef struct CapiInfo {
    const void *identity;
    void *info;
    void (*finalizer)(void *);
} CapiInfo;

/* A table's grow helper: Lodge's public API has no table grow, so a tiny module that imports the table
 * and runs table.grow stands in (see extern.c). */
typedef struct CapiGrower {
    lodge_table_t *table;
    lodge_func_t *grow;
} CapiGrower;

typedef struct CapiModule CapiModule;

/* An instance made through this interface, so a trap's frames can name their instance. */
typedef struct CapiInstanceRec {
    lodge_instance_t *instance;
    CapiModule *module;      /* a counted reference */
} CapiInstanceRec;

struct wasm_engine_t {
    lodge_engine_t *engine;
};

struct wasm_store_t {
    lodge_store_t *store;
    wasm_engine_t *engine;
    CapiCell **cells;                /* hash table by payload; capcells is a power of two */
    size_t ncells, capcells;
    CapiInfo *infos;                 /* hash table by identity */
    size_t ninfos, capinfos;
    CapiGrower *growers;
    size_t ngrowers, capgrowers;
    lodge_module_t *grow_modules[2]; /* the helper, compiled once per element type (funcref, externref) */
    CapiInstanceRec *instances;
    size_t ninstances, capinstances;
};

/* Append one element of `size` bytes to a growing array; false when out of memory. */
bool capi_engine_push(void **arr, size_t *n, size_t *cap, size_t size, const void *elem);
/* The cell standing for (kind, payload), made on first use; NULL when out of memory. */
CapiCell *capi_engine_cell(wasm_store_t *s, uint8_t kind, void *payload);
CapiInfo *capi_engine_info(wasm_store_t *s, const void *identity, bool create);

/* ---- References (ref.c) -------------------------------------------------------------------------- */

typedef enum CapiKind {
    CAPI_FUNC,
    CAPI_GLOBAL,
    CAPI_TABLE,
    CAPI_MEMORY,
    CAPI_INSTANCE,
    CAPI_FOREIGN,
    CAPI_TRAP,
    CAPI_MODULE,
} CapiKind;

/* Every reference object starts with this, so a wasm_func_t* is also a wasm_extern_t* and a
 * wasm_ref_t*. Objects that live in the store are a reference to Lodge's object, which the store owns;
 * traps and modules are objects of their own. */
typedef struct CapiRef {
    CapiKind kind;
    wasm_store_t *store;
    union {
        lodge_func_t *func;
        lodge_global_t *global;
        lodge_table_t *table;
        lodge_memory_t *memory;
        lodge_instance_t *instance;
        CapiCell *foreign;
        void *any;
    } of;
} CapiRef;

struct wasm_ref_t { CapiRef r; };
struct wasm_extern_t { CapiRef r; };
struct wasm_func_t { CapiRef r; };
struct wasm_global_t { CapiRef r; };
struct wasm_table_t { CapiRef r; };
struct wasm_memory_t { CapiRef r; };
struct wasm_instance_t { CapiRef r; };
struct wasm_foreign_t { CapiRef r; };

/* A module's bytes, its Lodge module and its host information, shared by every wasm_module_t and
 * wasm_shared_module_t made from it; freed with the last of them. */
struct CapiModule {
    atomic_size_t refs;
    lodge_module_t *module;
    lodge_engine_t *engine;     /* the engine that compiled it */
    wasm_byte_vec_t bytes;
    void *info;
    void (*finalizer)(void *);
};
struct wasm_module_t { CapiRef r; CapiModule *m; };
struct wasm_shared_module_t { CapiModule *m; };

struct wasm_frame_t {
    wasm_instance_t *instance;  /* owned by the frame; NULL when not known */
    uint32_t func_index;
    size_t func_offset, module_offset;
};

struct wasm_trap_t {
    CapiRef r;
    wasm_message_t message;     /* NUL-terminated, the NUL counted in size */
    wasm_frame_vec_t trace;
    void *info;
    void (*finalizer)(void *);
};

/* A new reference (owned) to a Lodge object of the store; NULL when out of memory. */
CapiRef *capi_ref_new(wasm_store_t *s, CapiKind kind, void *payload);
void capi_ref_release(CapiRef *r);
CapiModule *capi_module_retain(CapiModule *m);
void capi_module_release(CapiModule *m);

/* ---- Module bytes (reflect.c) ------------------------------------------------------------------- */

/* The function a backtrace name stands for in module m: its name-section name, else an export name. */
bool capi_reflect_func_index(const CapiModule *m, const char *name, uint32_t *index);

/* ---- Values (val.c) ------------------------------------------------------------------------------ */

/* A wasm value as Lodge's value of type t; false when the kinds differ (or out of memory). */
bool capi_val_to_lodge(wasm_store_t *s, const wasm_val_t *v, lodge_valtype_t t, lodge_val_t *out);
/* A Lodge value as an owned wasm value; false when out of memory or a v128. */
bool capi_val_from_lodge(wasm_store_t *s, lodge_val_t v, wasm_val_t *out);
/* A reference (may be NULL) as Lodge's reference of element type t. */
bool capi_val_ref_to_lodge(wasm_store_t *s, const wasm_ref_t *r, lodge_valtype_t t, void **out);
wasm_ref_t *capi_val_ref_from_lodge(wasm_store_t *s, lodge_valtype_t t, void *p);

/* ---- Traps (trap.c) ------------------------------------------------------------------------------ */

/* An owned trap carrying msg (NUL-terminated); NULL when out of memory. */
wasm_trap_t *capi_trap_new(wasm_store_t *s, const char *msg);
/* A trap for a Lodge error: its message, and frames from its backtrace. Frames are matched to the store's
 * instances; failing that, to `hint` (may be NULL: the module of a failed instantiation), index only. */
wasm_trap_t *capi_trap_from_error(wasm_store_t *s, const lodge_error_t *err, const CapiModule *hint);

#endif
