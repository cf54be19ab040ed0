/* decode.c: unit tests of the binary decoder (wasm/decode.c) through module_decode and the public API:
 * every section kind read into the Module, and malformed inputs rejected with the spec's message and the
 * byte offset of the fault. */
#include <stdio.h>
#include <string.h>

#include "wasm/module.h"
#include "wasm/opcode.h"
#include "wasmgen.h"

#define ANY_OFFSET ((size_t)-1)

/* Decode only (no validation) with the internal entry point; NULL with err filled on failure. */
static Module *decode(lodge_engine_t *e, const Bytes *b, lodge_error_t *err)
{
    memset(err, 0, sizeof *err);
    return module_decode(e, NULL, b->p, b->len, err);
}

/* The bytes must be rejected as malformed: the message starts with msg (or with one of its '|'-separated
 * alternatives, where Lodge's wording and the spec's differ), the offset is `offset`. */
static bool starts_with_one_of(const char *s, const char *alts)
{
    for (const char *p = alts;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (strncmp(s, p, n) == 0)
            return true;
        if (!bar)
            return false;
        p = bar + 1;
    }
}

static void expect_malformed(UnitCtx *t, const char *what, Bytes b, const char *msg, size_t offset)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    bool ok = lodge_module_validate(e, b.p, b.len, &err);
    CHECKF(!ok && err.status == LODGE_ERR_MALFORMED, "%s: status %d (%s), expected MALFORMED", what, err.status,
           err.message);
    CHECKF(starts_with_one_of(err.message, msg), "%s: message \"%s\", expected \"%s\"", what, err.message, msg);
    if (offset != ANY_OFFSET) {
        char want[64];
        snprintf(want, sizeof want, "(at byte offset %zu)", offset);
        CHECKF(err.offset == offset && strstr(err.message, want), "%s: offset %zu (\"%s\"), expected %zu", what,
               err.offset, err.message, offset);
    }
    /* lodge_module_new agrees with lodge_module_validate */
    lodge_error_t err2;
    lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err2);
    CHECKF(!m && err2.status == LODGE_ERR_MALFORMED && strcmp(err.message, err2.message) == 0,
           "%s: lodge_module_new says \"%s\"", what, err2.message);
    lodge_module_delete(m);
    lodge_engine_delete(e);
    bytes_free(&b);
}

/* ---- Well-formed modules: what lands in the Module ---- */

static void empty_module(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    Bytes b = RAW_MODULE(0);
    b.len = 8; /* the header alone */
    lodge_error_t err;
    Module *m = decode(e, &b, &err);
    REQUIRE(m);
    CHECK_INT(m->ntypes, 0);
    CHECK_INT(m->nfuncs, 0);
    CHECK_INT(m->nsections, 0);
    module_free(m);
    bytes_free(&b);
    lodge_engine_delete(e);
}

static void type_section(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    WMod w;
    wm_init(&w);
    wm_type(&w, ":");
    wm_type(&w, "ilfdrx:lr");
    wm_type(&w, "i:i");
    Bytes b = wm_finish(&w);
    lodge_error_t err;
    Module *m = decode(e, &b, &err);
    REQUIRE(m);
    REQUIRE(m->ntypes == 3);
    CHECK_INT(m->types[0].nparams, 0);
    CHECK_INT(m->types[0].nresults, 0);
    CHECK_INT(m->types[1].nparams, 6);
    CHECK_INT(m->types[1].nresults, 2);
    static const ValType want[] = {T_I32, T_I64, T_F32, T_F64, T_FUNCREF, T_EXTERNREF, T_I64, T_FUNCREF};
    CHECK(memcmp(m->types[1].types, want, 8) == 0);
    CHECK_INT(functype_results(&m->types[1])[1], T_FUNCREF);
    /* equal types in different modules share the engine's id */
    Module *m2 = decode(e, &b, &err);
    REQUIRE(m2);
    CHECK_INT(m2->types[2].id, m->types[2].id);
    CHECK(m->types[0].id != m->types[2].id);
    module_free(m2);
    module_free(m);
    bytes_free(&b);
    wm_free(&w);
    lodge_engine_delete(e);
}

static void import_section(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    WMod w;
    wm_init(&w);
    wm_import_func(&w, "env", "f", "i:");
    wm_import_table(&w, "env", "t", 'x', 1, 10);
    wm_import_memory(&w, "env", "m", 2, -1);
    wm_import_global(&w, "env", "g", 'd', true);
    wm_import_func(&w, "", "\xe2\x82\xac", ":i");
    Bytes b = wm_finish(&w);
    lodge_error_t err;
    Module *m = decode(e, &b, &err);
    REQUIRE(m);
    REQUIRE(m->nimports == 5);
    CHECK_STR(m->imports[0].module, "env");
    CHECK_STR(m->imports[0].name, "f");
    CHECK_INT(m->imports[0].kind, LODGE_EXTERN_FUNC);
    CHECK_INT(m->imports[1].kind, LODGE_EXTERN_TABLE);
    CHECK_INT(m->imports[1].of.table.elem, T_EXTERNREF);
    CHECK_INT(m->imports[1].of.table.lim.min, 1);
    CHECK(m->imports[1].of.table.lim.has_max && m->imports[1].of.table.lim.max == 10);
    CHECK_INT(m->imports[2].kind, LODGE_EXTERN_MEMORY);
    CHECK_INT(m->imports[2].of.mem.min, 2);
    CHECK(!m->imports[2].of.mem.has_max);
    CHECK_INT(m->imports[3].of.global.type, T_F64);
    CHECK(m->imports[3].of.global.mut);
    CHECK_INT(m->imports[4].module_len, 0);
    CHECK_INT(m->imports[4].name_len, 3);
    CHECK_INT(m->nimported_funcs, 2);
    CHECK_INT(m->nfuncs, 2);
    CHECK_INT(m->nimported_tables, 1);
    CHECK_INT(m->nimported_mems, 1);
    CHECK_INT(m->nimported_globals, 1);
    CHECK_INT(m->func_types[1], 1);
    module_free(m);
    bytes_free(&b);
    wm_free(&w);
    lodge_engine_delete(e);
}

/* function, table, memory, global, export, start, code, data count and data in one module. */
static void definition_sections(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    WMod w;
    wm_init(&w);
    wm_import_func(&w, "env", "f", ":");
    wm_import_global(&w, "env", "g", 'i', false);
    uint32_t f1 = WFUNC(&w, "i:i", "iill", LOCAL_GET, 0);
    uint32_t f2 = WFUNC(&w, ":", "", NOP);
    wm_table(&w, 'r', 3, -1);
    wm_table(&w, 'x', 0, 5);
    wm_memory(&w, 1, 65536);
    WGLOBAL(&w, 'l', true, I64C(-5));
    WGLOBAL(&w, 'i', false, GLOBAL_GET, 0);
    WGLOBAL(&w, 'r', false, REF_FUNC, 1);
    WGLOBAL(&w, 'f', false, F32C(0x3f800000));
    wm_export(&w, "f1", LODGE_EXTERN_FUNC, f1);
    wm_export(&w, "mem", LODGE_EXTERN_MEMORY, 0);
    wm_export(&w, "", LODGE_EXTERN_GLOBAL, 1);
    wm_start(&w, f2);
    wm_datacount(&w);
    wm_data(&w, 16, "abc", 3);
    wm_data_passive(&w, "xy", 2);
    Bytes b = wm_finish(&w);
    lodge_error_t err;
    Module *m = decode(e, &b, &err);
    REQUIRE(m);
    CHECK_INT(m->nfuncs, 3);
    CHECK_INT(m->func_types[f1], 1);
    CHECK_INT(m->func_types[f2], 0);
    CHECK_INT(m->bodies[0].nlocals, 5);
    static const ValType locals[] = {T_I32, T_I32, T_I32, T_I64, T_I64};
    CHECK(memcmp(m->bodies[0].local_types, locals, 5) == 0);
    CHECK_INT(m->bodies[0].end - m->bodies[0].code_start, 3); /* local.get 0, end */
    CHECK_INT(m->ntables, 2);
    CHECK_INT(m->tables[0].elem, T_FUNCREF);
    CHECK_INT(m->tables[0].lim.min, 3);
    CHECK(!m->tables[0].lim.has_max);
    CHECK(m->tables[1].lim.has_max && m->tables[1].lim.max == 5);
    CHECK_INT(m->nmems, 1);
    CHECK(m->mems[0].has_max && m->mems[0].max == 65536);
    CHECK_INT(m->nglobals, 5);
    CHECK_INT(m->nimported_globals, 1);
    CHECK_INT(m->globals[1].type, T_I64);
    CHECK(m->globals[1].mut);
    CHECK_INT(m->global_inits[0].op, OP_I64_CONST);
    CHECK_INT((int64_t)m->global_inits[0].value, -5);
    CHECK_INT(m->global_inits[1].op, OP_GLOBAL_GET);
    CHECK_INT(m->global_inits[2].op, OP_REF_FUNC);
    CHECK_INT(m->global_inits[2].value, 1);
    CHECK_U64(m->global_inits[3].value, 0x3f800000);
    CHECK_INT(m->nexports, 3);
    CHECK_STR(m->exports[1].name, "mem");
    CHECK_INT(m->exports[1].kind, LODGE_EXTERN_MEMORY);
    CHECK_INT(m->exports[2].name_len, 0);
    CHECK(m->has_start && m->start == f2);
    CHECK(m->has_datacount && m->datacount == 2);
    REQUIRE(m->ndatas == 2);
    CHECK_INT(m->datas[0].mode, SEG_ACTIVE);
    CHECK_INT(m->datas[0].offset.value, 16);
    CHECK_INT(m->datas[0].len, 3);
    CHECK(memcmp(m->bytes + m->datas[0].start, "abc", 3) == 0);
    CHECK_INT(m->datas[1].mode, SEG_PASSIVE);
    CHECK(memcmp(m->bytes + m->datas[1].start, "xy", 2) == 0);
    /* sections are noted in order for `lodge inspect` */
    static const uint8_t ids[] = {1, 2, 3, 4, 5, 6, 7, 8, 12, 10, 11};
    REQUIRE(m->nsections == sizeof ids);
    for (uint32_t i = 0; i < m->nsections; i++)
        CHECKF(m->sections[i].id == ids[i], "section %u has id %u, expected %u", i, m->sections[i].id, ids[i]);
    module_free(m);
    bytes_free(&b);
    wm_free(&w);
    lodge_engine_delete(e);
}

/* The eight element segment encodings (flags 0..7), and the three data segment encodings. */
static void segment_forms(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    WMod w;
    wm_init(&w);
    WFUNC(&w, ":", "", NOP);
    wm_table(&w, 'r', 4, -1);
    wm_table(&w, 'r', 4, -1);
    wm_memory(&w, 1, -1);
    WELEM(&w, 0, I32C(1), END, 2, 0, 0);                                           /* active, table 0 */
    WELEM(&w, 1, 0x00, 1, 0);                                                      /* passive */
    WELEM(&w, 2, 1, I32C(0), END, 0x00, 1, 0);                                     /* active, table 1 */
    WELEM(&w, 3, 0x00, 1, 0);                                                      /* declarative */
    WELEM(&w, 4, I32C(2), END, 2, REF_FUNC, 0, END, REF_NULL, T_FUNCREF, END);     /* active, exprs */
    WELEM(&w, 5, T_FUNCREF, 1, REF_NULL, T_FUNCREF, END);                          /* passive, exprs */
    WELEM(&w, 6, 1, I32C(3), END, T_FUNCREF, 1, REF_FUNC, 0, END);                 /* active t1, exprs */
    WELEM(&w, 7, T_FUNCREF, 1, REF_FUNC, 0, END);                                  /* declarative, exprs */
    put_u8(&w.datas, 2); /* active with an explicit memory index */
    put_raw(&w.datas, (const uint8_t[]){0, I32_CONST, 5, END, 1, 'z'}, 6);
    w.ndatas++;
    Bytes b = wm_finish(&w);
    lodge_error_t err;
    Module *m = decode(e, &b, &err);
    REQUIRE(m);
    REQUIRE(m->nelems == 8);
    static const SegMode modes[] = {SEG_ACTIVE, SEG_PASSIVE, SEG_ACTIVE, SEG_DECLARATIVE,
                                    SEG_ACTIVE, SEG_PASSIVE, SEG_ACTIVE, SEG_DECLARATIVE};
    static const uint32_t counts[] = {2, 1, 1, 1, 2, 1, 1, 1};
    for (uint32_t i = 0; i < 8; i++) {
        CHECKF(m->elems[i].mode == modes[i], "segment %u: mode %d, expected %d", i, m->elems[i].mode, modes[i]);
        CHECKF(m->elems[i].count == counts[i], "segment %u: %u items", i, m->elems[i].count);
        CHECKF(m->elems[i].type == T_FUNCREF, "segment %u: type 0x%x", i, m->elems[i].type);
    }
    CHECK_INT(m->elems[2].table, 1);
    CHECK_INT(m->elems[6].table, 1);
    CHECK_INT(m->elems[6].offset.value, 3);
    CHECK_INT(m->elems[4].items[0].op, OP_REF_FUNC);
    CHECK_INT(m->elems[4].items[1].op, OP_REF_NULL);
    CHECK_INT(m->elems[0].items[1].op, OP_REF_FUNC);
    REQUIRE(m->ndatas == 1);
    CHECK_INT(m->datas[0].mode, SEG_ACTIVE);
    CHECK_INT(m->datas[0].mem, 0);
    CHECK_INT(m->datas[0].offset.value, 5);
    module_free(m);
    bytes_free(&b);
    wm_free(&w);
    lodge_engine_delete(e);
}

static void custom_and_name_sections(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    WMod w;
    wm_init(&w);
    uint32_t f = WFUNC(&w, ":", "", NOP);
    WFUNC(&w, ":", "", NOP);
    wm_func_name(&w, f, "first");
    wm_custom(&w, "anything", "\xff\x00\x01", 3);
    Bytes b = wm_finish(&w);
    /* a custom section may come first, too */
    Bytes c = {0};
    put_header(&c);
    put_raw(&c, (const uint8_t[]){0, 4, 3, 'a', 'b', 'c'}, 6);
    put_raw(&c, b.p + 8, b.len - 8);
    lodge_error_t err;
    Module *m = decode(e, &c, &err);
    REQUIRE(m);
    REQUIRE(m->func_names);
    CHECK_STR(m->func_names[0], "first");
    CHECK(m->func_names[1] == NULL);
    int customs = 0;
    for (uint32_t i = 0; i < m->nsections; i++)
        if (m->sections[i].id == 0)
            customs++;
    CHECK_INT(customs, 3);
    CHECK_STR(m->sections[0].custom_name, "abc");
    module_free(m);
    /* the module name (subsection 0) */
    Bytes n = RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, END,
                         0, 11, 4, 'n', 'a', 'm', 'e', 0, 4, 3, 'm', 'o', 'd');
    m = decode(e, &n, &err);
    REQUIRE(m);
    CHECK_STR(m->name, "mod");
    module_free(m);
    bytes_free(&n);
    /* A malformed name section is ignored (custom sections are advisory). */
    WMod w2;
    wm_init(&w2);
    WFUNC(&w2, ":", "", NOP);
    wm_custom(&w2, "name", (const uint8_t[]){1, 50, 1, 0, 9}, 5);
    Bytes d = wm_finish(&w2);
    m = decode(e, &d, &err);
    CHECKF(m != NULL, "broken name section: %s", err.message);
    module_free(m);
    bytes_free(&d);
    wm_free(&w2);
    bytes_free(&b);
    bytes_free(&c);
    wm_free(&w);
    lodge_engine_delete(e);
}

/* ---- Malformed modules: message and offset ---- */

/* A header cut short is "unexpected end" in the spec's tests; Lodge says what it did not find. */
static void header(UnitCtx *t)
{
    Bytes b = {0};
    put_raw(&b, "\0", 1);
    b.len = 0; /* empty, but not a NULL pointer */
    expect_malformed(t, "empty", b, "unexpected end|magic header not detected", 0);
    b = (Bytes){0};
    put_raw(&b, "\0asn\1\0\0\0", 8);
    expect_malformed(t, "bad magic", b, "magic header not detected", 0);
    b = (Bytes){0};
    put_raw(&b, "asm\0\1\0\0\0", 8);
    expect_malformed(t, "magic rotated", b, "magic header not detected", 0);
    b = (Bytes){0};
    put_raw(&b, "\0as", 3);
    expect_malformed(t, "short magic", b, "unexpected end|magic header not detected", ANY_OFFSET);
    b = (Bytes){0};
    put_raw(&b, "\0asm\2\0\0\0", 8);
    expect_malformed(t, "version 2", b, "unknown binary version", 4);
    b = (Bytes){0};
    put_raw(&b, "\0asm\1\0", 6);
    expect_malformed(t, "short version", b, "unexpected end|unknown binary version", ANY_OFFSET);
}

/* Zero bytes at a NULL pointer are an empty module: malformed, not undefined behaviour. */
static void null_bytes(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    CHECK(!lodge_module_validate(e, NULL, 0, &err));
    CHECK_INT(err.status, LODGE_ERR_MALFORMED);
    CHECK(lodge_module_new(e, NULL, 0, &err) == NULL);
    CHECK_INT(err.status, LODGE_ERR_MALFORMED);
    lodge_engine_delete(e);
}

static void section_framing(UnitCtx *t)
{
    expect_malformed(t, "section id 13", RAW_MODULE(13, 0), "malformed section id", 8);
    expect_malformed(t, "section id 0x7f", RAW_MODULE(0x7f, 0), "malformed section id", 8);
    expect_malformed(t, "size past the end", RAW_MODULE(1, 5, 0), "length out of bounds", 9);
    expect_malformed(t, "size missing", RAW_MODULE(1), "unexpected end", 9);
    expect_malformed(t, "size too long", RAW_MODULE(1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
                     "integer representation too long", 9);
    expect_malformed(t, "size too large", RAW_MODULE(1, 0xff, 0xff, 0xff, 0xff, 0x7f), "integer too large", 9);
    expect_malformed(t, "duplicate type section", RAW_MODULE(1, 1, 0, 1, 1, 0),
                     "unexpected content after last section", 11);
    expect_malformed(t, "type after function", RAW_MODULE(3, 1, 0, 1, 1, 0),
                     "unexpected content after last section", 11);
    expect_malformed(t, "data count after code", RAW_MODULE(10, 1, 0, 12, 1, 0),
                     "unexpected content after last section", 11);
    expect_malformed(t, "section longer than its content", RAW_MODULE(1, 5, 1, 0x60, 0, 0, 0),
                     "section size mismatch", 14);
    /* contents are read on past a section's size, which is compared afterwards (the reference decoder's way) */
    expect_malformed(t, "section shorter than its content", RAW_MODULE(1, 3, 1, 0x60, 0, 0),
                     "section size mismatch", ANY_OFFSET);
    /* a length may reach past the end by its own bytes before it is out of bounds; then the end comes */
    expect_malformed(t, "table count 1, no bytes", RAW_MODULE(4, 1, 1), "unexpected end of section or function",
                     ANY_OFFSET);
    expect_malformed(t, "table count 2, no bytes", RAW_MODULE(4, 1, 2), "length out of bounds", 10);
    expect_malformed(t, "custom section name past its end", RAW_MODULE(0, 2, 5, 'a'), "length out of bounds",
                     ANY_OFFSET);
    expect_malformed(t, "custom section name bad UTF-8", RAW_MODULE(0, 3, 2, 0xc0, 0x80), "malformed UTF-8 encoding",
                     ANY_OFFSET);
}

static void type_and_import_faults(UnitCtx *t)
{
    expect_malformed(t, "functype form 0x61", RAW_MODULE(1, 4, 1, 0x61, 0, 0), "malformed functype", 11);
    expect_malformed(t, "bad value type", RAW_MODULE(1, 5, 1, 0x60, 1, 0x00, 0), "malformed value type", 13);
    expect_malformed(t, "type count past the end", RAW_MODULE(1, 1, 5), "length out of bounds", 10);
    expect_malformed(t, "huge type count", RAW_MODULE(1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), "length out of bounds",
                     ANY_OFFSET);
    expect_malformed(t, "huge param count", RAW_MODULE(1, 7, 1, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f),
                     "length out of bounds", ANY_OFFSET);
    /* import: module "m", name "n", kind 4 */
    expect_malformed(t, "import kind 4", RAW_MODULE(2, 7, 1, 1, 'm', 1, 'n', 4, 0), "malformed import kind", 15);
    expect_malformed(t, "import name bad UTF-8", RAW_MODULE(2, 8, 1, 1, 'm', 2, 0xed, 0xa0, 2, 0),
                     "malformed UTF-8 encoding", ANY_OFFSET);
    expect_malformed(t, "import global mutability 2", RAW_MODULE(2, 8, 1, 1, 'm', 1, 'n', 3, T_I32, 2),
                     "malformed mutability", 17);
    expect_malformed(t, "import table of i32", RAW_MODULE(2, 9, 1, 1, 'm', 1, 'n', 1, T_I32, 0, 0),
                     "malformed reference type", 16);
    expect_malformed(t, "memory limits flag 2", RAW_MODULE(5, 3, 1, 2, 0), "integer too large", 11);
    expect_malformed(t, "memory limits truncated", RAW_MODULE(5, 3, 1, 1, 0), "unexpected end", ANY_OFFSET);
}

static void export_and_segment_faults(UnitCtx *t)
{
    expect_malformed(t, "export kind 4", RAW_MODULE(7, 5, 1, 1, 'e', 4, 0), "malformed export kind", 13);
    expect_malformed(t, "elem segment flags 8", RAW_MODULE(9, 2, 1, 8), "malformed elements segment kind", 11);
    expect_malformed(t, "elem kind 1", RAW_MODULE(9, 4, 1, 1, 1, 0), "malformed element kind", 12);
    expect_malformed(t, "data segment flags 3", RAW_MODULE(11, 2, 1, 3), "malformed data segment kind", 11);
    expect_malformed(t, "data bytes past the end", RAW_MODULE(11, 6, 1, 1, 10, 'a', 'b', 'c'),
                     "length out of bounds", ANY_OFFSET);
    expect_malformed(t, "data bytes one past the end", RAW_MODULE(11, 6, 1, 1, 4, 'a', 'b', 'c'),
                     "unexpected end of section or function", ANY_OFFSET);
    expect_malformed(t, "data count 1, no data", RAW_MODULE(12, 1, 1),
                     "data count and data section have inconsistent lengths", ANY_OFFSET);
    expect_malformed(t, "data count 2, one segment", RAW_MODULE(12, 1, 2, 11, 3, 1, 1, 0),
                     "data count and data section have inconsistent lengths", ANY_OFFSET);
}

static void code_faults(UnitCtx *t)
{
    /* type ():(), one function */
    expect_malformed(t, "function without code", RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0),
                     "function and code section have inconsistent lengths", ANY_OFFSET);
    expect_malformed(t, "code without function", RAW_MODULE(1, 4, 1, 0x60, 0, 0, 10, 4, 1, 2, 0, END),
                     "function and code section have inconsistent lengths", ANY_OFFSET);
    expect_malformed(t, "body size past the section",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 9, 0, END), "length out of bounds",
                     ANY_OFFSET);
    /* a body without its end reads on into the next body: its size byte 5 is where `end` must be */
    expect_malformed(t, "body without end, another after it",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 3, 2, 0, 0, 10, 10, 2, 2, 0, NOP, 5, 0, NOP, NOP, NOP, END),
                     "END opcode expected", 25);
    expect_malformed(t, "else outside if",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 6, 1, 4, 0, NOP, 0x05, END),
                     "END opcode expected", 24);
    expect_malformed(t, "two code sections",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 3, 2, 0, 0, 10, 4, 1, 2, 0, END, 10, 4, 1, 2, 0, END),
                     "unexpected content after last section", ANY_OFFSET);
    expect_malformed(t, "too many locals",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 10, 1, 8, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, T_I32,
                                END),
                     "too many locals", ANY_OFFSET);
    expect_malformed(t, "locals summing past 2^32",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 16, 1, 14, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, T_I32,
                                0xff, 0xff, 0xff, 0xff, 0x0f, T_I32, END),
                     "too many locals", ANY_OFFSET);
    expect_malformed(t, "local of bad type", RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 6, 1, 4, 1, 1, 0x55, END),
                     "malformed value type", 24);
    /* body of one byte 0xff: an illegal opcode at offset 23 */
    expect_malformed(t, "illegal opcode", RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0xff, END),
                     "illegal opcode", 23);
    expect_malformed(t, "illegal 0xFC sub-opcode",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 6, 1, 4, 0, 0xfc, 0x7f, END), "illegal opcode",
                     ANY_OFFSET);
    expect_malformed(t, "body without end", RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, NOP),
                     "unexpected end", ANY_OFFSET);
    expect_malformed(t, "bytes after the final end",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, END, NOP), "section size mismatch",
                     ANY_OFFSET);
    expect_malformed(t, "i32.const too long",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 12, 1, 10, 0, I32_CONST, 0x80, 0x80, 0x80, 0x80,
                                0x80, 0x00, DROP, END),
                     "integer representation too long", ANY_OFFSET);
    expect_malformed(t, "memory.size reserved byte",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 10, 7, 1, 5, 0, MEMORY_SIZE, 1, DROP,
                                END),
                     "zero byte expected", ANY_OFFSET);
    /* immediates read as the reference decoder reads them: malformed, never left to the validator */
    expect_malformed(t, "block type 0x7a",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 0, BLOCK, 0x7a, END, END),
                     "malformed value type", 24);
    expect_malformed(t, "select with a bad type",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 0, 0x1c, 1, 0x00, END),
                     "malformed value type", 25);
    expect_malformed(t, "br_table count past the end",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 10, 1, 8, 0, 0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f,
                                END),
                     "length out of bounds", 24);
    expect_malformed(t, "ref.null type over-long",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 8, 1, 6, 0, 0xd0, 0xf0, 0x00, 0x1a, END),
                     "integer representation too long", ANY_OFFSET);
    /* malformed before invalid: the missing count section is found while decoding, before the export
     * naming function 5 is validated */
    expect_malformed(t, "data.drop without a data count section",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 'e', 0, 5, 10, 7, 1, 5, 0, 0xfc, 9, 0, END,
                                11, 4, 1, 1, 1, 'x'),
                     "data count section required", ANY_OFFSET);
    expect_malformed(t, "block type index too large",
                     RAW_MODULE(1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 8, 1, 6, 0, BLOCK, 0xff, 0x7f, END, END),
                     "malformed block type", ANY_OFFSET);
}

/* Truncating a valid module anywhere is malformed, never anything worse, never accepted. */
static void every_truncation(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    wm_import_func(&w, "env", "f", "i:i");
    wm_memory(&w, 1, 2);
    wm_table(&w, 'r', 1, -1);
    WGLOBAL(&w, 'i', true, I32C(7));
    uint32_t f = WFUNC(&w, "i:i", "l", LOCAL_GET, 0, CALL, 0, BLOCK, T_I32, I32C(1), END, I32_ADD);
    wm_export(&w, "f", LODGE_EXTERN_FUNC, f);
    wm_elem_funcs(&w, 0, &f, 1);
    wm_data(&w, 0, "hello", 5);
    wm_func_name(&w, f, "f");
    Bytes b = wm_finish(&w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    CHECKF(lodge_module_validate(e, b.p, b.len, &err), "full module: %s", err.message);
    unsigned wrong = 0;
    for (size_t n = 0; n < b.len; n++) {
        /* a cut exactly between sections is a valid, shorter module; anything else is malformed */
        bool ok = lodge_module_validate(e, b.p, n, &err);
        if (!ok && err.status != LODGE_ERR_MALFORMED) {
            wrong++;
            printf("    cut at %zu: status %d: %s\n", n, err.status, err.message);
        }
    }
    CHECK_INT(wrong, 0);
    lodge_engine_delete(e);
    bytes_free(&b);
    wm_free(&w);
}

UNIT_SUITE(decode, UNIT_TEST(empty_module), UNIT_TEST(type_section), UNIT_TEST(import_section),
           UNIT_TEST(definition_sections), UNIT_TEST(segment_forms), UNIT_TEST(custom_and_name_sections),
           UNIT_TEST(header), UNIT_TEST(null_bytes), UNIT_TEST(section_framing), UNIT_TEST(type_and_import_faults),
           UNIT_TEST(export_and_segment_faults), UNIT_TEST(code_faults), UNIT_TEST(every_truncation));
