/* module.h: a decoded WebAssembly module: types, imports, index spaces, segments, bodies and names.
 * Decoding (decode.c) fills it; validation (validate.c) checks it; the interpreter tier (interp/) lowers
 * each body to threaded code once and hangs it here. A Module is immutable after lodge_module_new. */
#ifndef LODGE_WASM_MODULE_H
#define LODGE_WASM_MODULE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "lodge.h"

typedef uint8_t ValType; /* LODGE_I32 ... LODGE_EXTERNREF */

#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_PAGES 65536u
#define WASM_MAX_TABLE 10000000u /* implementation limit on table elements */

typedef struct FuncType {
    uint32_t nparams, nresults;
    ValType *types;   /* params, then results */
    uint32_t id;      /* engine-wide canonical id: equal types have equal ids */
} FuncType;

static inline const ValType *functype_results(const FuncType *t) { return t->types + t->nparams; }

typedef struct Limits {
    uint32_t min, max;
    bool has_max;
} Limits;

typedef struct TableType {
    ValType elem;
    Limits lim;
} TableType;

typedef struct GlobalType {
    ValType type;
    bool mut;
} GlobalType;

/* A constant expression of Wasm 2.0: exactly one instruction (then `end`). */
typedef struct ConstExpr {
    uint16_t op;        /* OP_I32_CONST, OP_I64_CONST, OP_F32_CONST, OP_F64_CONST, OP_GLOBAL_GET,
                           OP_REF_NULL, OP_REF_FUNC */
    uint64_t value;     /* constant bits, global or function index, or ref.null's type */
} ConstExpr;

typedef struct Import {
    char *module, *name;  /* NUL-terminated copies (names may contain NUL: lengths below) */
    uint32_t module_len, name_len;
    lodge_extern_kind_t kind;
    union {
        uint32_t type_idx;     /* FUNC */
        TableType table;       /* TABLE */
        Limits mem;            /* MEMORY */
        GlobalType global;     /* GLOBAL */
    } of;
} Import;

typedef struct Export {
    char *name;
    uint32_t name_len;
    lodge_extern_kind_t kind;
    uint32_t index;
} Export;

typedef enum SegMode { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE } SegMode;

typedef struct ElemSeg {
    SegMode mode;
    uint32_t table;
    ConstExpr offset;
    ValType type;
    uint32_t count;
    ConstExpr *items;   /* ref.func i / ref.null t / global.get g */
} ElemSeg;

typedef struct DataSeg {
    SegMode mode;
    uint32_t mem;
    ConstExpr offset;
    size_t start;       /* offset of the bytes in Module.bytes */
    uint32_t len;
} DataSeg;

struct InterpCode;

typedef struct FuncBody {
    size_t start, end;      /* the body's bytes in Module.bytes: locals then code, `end` included */
    size_t code_start;      /* first instruction */
    uint32_t nlocals;       /* params + declared locals */
    ValType *local_types;   /* nlocals entries, params first */
    struct InterpCode *code;/* lowered threaded code (interp/), NULL until compiled */
} FuncBody;

typedef struct Module {
    lodge_engine_t *engine;
    /* Everything the module owns (its decoded parts, its copy of the bytes, lowered code) is counted
     * here: a module is shared by many stores, so it is charged to none of them. `lock` serializes
     * the allocator after lodge_module_new returns (lowering on first call runs on any thread). */
    Alloc alloc;
    pthread_mutex_t lock;
    uint8_t *bytes;
    size_t len;

    FuncType *types;
    uint32_t ntypes;

    Import *imports;
    uint32_t nimports;

    /* Index spaces: imported entries first. */
    uint32_t *func_types;       /* type index of every function */
    uint32_t nfuncs, nimported_funcs;
    TableType *tables;
    uint32_t ntables, nimported_tables;
    Limits *mems;
    uint32_t nmems, nimported_mems;
    GlobalType *globals;
    ConstExpr *global_inits;    /* for defined globals: global_inits[i - nimported_globals] */
    uint32_t nglobals, nimported_globals;

    Export *exports;
    uint32_t nexports;

    bool has_start;
    uint32_t start;

    ElemSeg *elems;
    uint32_t nelems;
    DataSeg *datas;
    uint32_t ndatas;
    bool has_datacount;
    uint32_t datacount;

    FuncBody *bodies;           /* defined functions: bodies[i - nimported_funcs] */

    bool *func_declared;        /* functions that ref.func may name (C.refs of the spec) */

    char **func_names;          /* name section, by function index; entries may be NULL */
    char *name;                 /* module name from the name section, or NULL */

    /* The copy-on-write image of memory 0 after its active data segments (image.c), built on the first
     * instantiation: image_state is IMAGE_UNKNOWN until then (read atomically; built under `lock`). */
    int image_state;
    int image_fd;
    size_t image_size;          /* bytes of the memory the image covers (whole pages, from 0) */
    uint64_t image_id;          /* engine-wide: names the image in the engine's pool of reservations */

    /* Section layout for `lodge inspect`: id, offset and size of each section in order. */
    struct { uint8_t id; size_t offset, size; char *custom_name; } *sections;
    uint32_t nsections;
} Module;

/* Decode bytes (copied) into a new module. Returns NULL with err MALFORMED (offset set) or NOMEM. The
 * module's allocator starts as a copy of *alloc when given (its limit and test hook), else unlimited. */
Module *module_decode(lodge_engine_t *engine, Alloc *alloc, const uint8_t *bytes, size_t len, lodge_error_t *err);
void module_free(Module *m);
/* Validate a decoded module (all function bodies included). false with err INVALID (or MALFORMED for the
 * few binary-format rules that need the code, such as a missing data count section). */
bool module_validate(Module *m, lodge_error_t *err);

enum { IMAGE_UNKNOWN, IMAGE_READY, IMAGE_NONE };

/* The memory image of a module for its memory 0: true with its fd and size when every active data
 * segment has a constant offset and fits the initial memory (so instantiation cannot trap on data and
 * the contents are the same for every instance). Built once, on the first call; thread-safe. */
bool image_get(const Module *m, int *fd, size_t *size, uint64_t *id);
/* Close the image (module_free). */
void image_free(Module *m);

/* The Module behind a public module handle (for the CLI's inspecting verbs). */
const Module *module_of(const lodge_module_t *module);

static inline const FuncType *module_func_type(const Module *m, uint32_t funcidx)
{
    return &m->types[m->func_types[funcidx]];
}

#endif
