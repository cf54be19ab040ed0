/* inspect.c: `lodge inspect FILE`: a module's anatomy: sections, types, imports, functions, tables,
 * memories, globals, exports, segments and names, with sizes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/wasmfile.h"

static const char *section_name(uint8_t id)
{
    static const char *const names[] = {"custom", "type", "import", "function", "table", "memory", "global",
                                  "export", "start", "element", "code", "data", "datacount"};
    return id < sizeof names / sizeof names[0] ? names[id] : "?";
}

static const char *kind_name(lodge_extern_kind_t k)
{
    static const char *const n[] = {"func", "table", "memory", "global"};
    return n[k];
}

static void print_limits(const Limits *l)
{
    if (l->has_max)
        printf("%u..%u", l->min, l->max);
    else
        printf("%u..", l->min);
}

int cli_inspect(int argc, char **argv)
{
    if (argc != 2 || cli_is_help(argv[1])) {
        FILE *out = argc == 2 ? stdout : stderr;
        fprintf(out, "usage: lodge inspect FILE.wasm\n\n"
                     "Show a module's sections (offset, size), types, imports, functions with their code sizes,\n"
                     "tables, memories, globals, exports, start function and segments. Works on modules that\n"
                     "decode even if they do not validate (run `lodge validate` for that).\n");
        return argc == 2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    lodge_engine_t *engine = lodge_engine_new(NULL);
    Module *m = engine ? wasmfile_open(engine, argv[1]) : NULL;
    if (!m) {
        lodge_engine_delete(engine);
        return CLI_EXIT_ERROR;
    }
    char buf[512];
    printf("%s: %zu bytes, WebAssembly binary version 1%s%s\n", argv[1], m->len, m->name ? ", module name " : "",
           m->name ? m->name : "");
    printf("\nsections (%u):\n", m->nsections);
    for (uint32_t i = 0; i < m->nsections; i++) {
        printf("  %-10s offset 0x%06zx  size %8zu", section_name(m->sections[i].id), m->sections[i].offset,
               m->sections[i].size);
        if (m->sections[i].custom_name)
            printf("  \"%s\"", m->sections[i].custom_name);
        printf("\n");
    }
    printf("\ntypes (%u):\n", m->ntypes);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wasmfile_functype(&m->types[i], buf, sizeof buf);
        printf("  type[%u] func %s\n", i, buf[0] ? buf : "(no params or results)");
    }
    printf("\nimports (%u):\n", m->nimports);
    for (uint32_t i = 0; i < m->nimports; i++) {
        const Import *im = &m->imports[i];
        printf("  %s \"%s\" \"%s\"", kind_name(im->kind), im->module, im->name);
        switch (im->kind) {
        case LODGE_EXTERN_FUNC:
            if (im->of.type_idx < m->ntypes) {
                wasmfile_functype(&m->types[im->of.type_idx], buf, sizeof buf);
                printf(" type[%u] %s", im->of.type_idx, buf);
            }
            break;
        case LODGE_EXTERN_TABLE:
            printf(" %s ", wasmfile_valtype(im->of.table.elem));
            print_limits(&im->of.table.lim);
            break;
        case LODGE_EXTERN_MEMORY:
            printf(" pages ");
            print_limits(&im->of.mem);
            break;
        case LODGE_EXTERN_GLOBAL:
            printf(" %s%s", im->of.global.mut ? "mut " : "", wasmfile_valtype(im->of.global.type));
            break;
        }
        printf("\n");
    }
    uint32_t ndef = m->nfuncs - m->nimported_funcs;
    printf("\nfunctions (%u defined, %u imported):\n", ndef, m->nimported_funcs);
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t idx = m->nimported_funcs + i;
        const FuncBody *b = &m->bodies[i];
        const char *name = wasmfile_func_name(m, idx);
        buf[0] = 0;
        if (m->func_types[idx] < m->ntypes)
            wasmfile_functype(&m->types[m->func_types[idx]], buf, sizeof buf);
        printf("  func[%u]%s%s %s  locals %u  code %zu bytes\n", idx, name ? " $" : "", name ? name : "", buf,
               b->nlocals, b->end - b->start);
    }
    printf("\ntables (%u):\n", m->ntables);
    for (uint32_t i = 0; i < m->ntables; i++) {
        printf("  table[%u] %s ", i, wasmfile_valtype(m->tables[i].elem));
        print_limits(&m->tables[i].lim);
        printf("%s\n", i < m->nimported_tables ? "  (imported)" : "");
    }
    printf("\nmemories (%u):\n", m->nmems);
    for (uint32_t i = 0; i < m->nmems; i++) {
        printf("  memory[%u] pages ", i);
        print_limits(&m->mems[i]);
        printf(" (64 KiB each)%s\n", i < m->nimported_mems ? "  (imported)" : "");
    }
    printf("\nglobals (%u):\n", m->nglobals);
    for (uint32_t i = 0; i < m->nglobals; i++)
        printf("  global[%u] %s%s%s\n", i, m->globals[i].mut ? "mut " : "", wasmfile_valtype(m->globals[i].type),
               i < m->nimported_globals ? "  (imported)" : "");
    printf("\nexports (%u):\n", m->nexports);
    for (uint32_t i = 0; i < m->nexports; i++)
        printf("  \"%s\" -> %s[%u]\n", m->exports[i].name, kind_name(m->exports[i].kind), m->exports[i].index);
    if (m->has_start)
        printf("\nstart: func[%u]\n", m->start);
    printf("\nelement segments (%u):\n", m->nelems);
    static const char *const modes[] = {"active", "passive", "declarative"};
    for (uint32_t i = 0; i < m->nelems; i++)
        printf("  elem[%u] %s %s, %u entries%s\n", i, modes[m->elems[i].mode], wasmfile_valtype(m->elems[i].type),
               m->elems[i].count, m->elems[i].mode == SEG_ACTIVE ? " into a table" : "");
    printf("\ndata segments (%u):\n", m->ndatas);
    for (uint32_t i = 0; i < m->ndatas; i++)
        printf("  data[%u] %s, %u bytes\n", i, modes[m->datas[i].mode], m->datas[i].len);
    wasmfile_close(m);
    lodge_engine_delete(engine);
    return CLI_EXIT_OK;
}
