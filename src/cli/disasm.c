/* disasm.c: `lodge disasm FILE [--func NAME]`: function bodies as text-format instructions, one per
 * line with its byte offset, indented by block depth, so the bytecode a compiler produced can be read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/wasmfile.h"
#include "wasm/interp/code.h"
#include "wasm/opcode.h"
#include "wasm/reader.h"

static void print_blocktype(const Module *m, int64_t bt)
{
    if (bt == -0x40)
        return;
    if (bt < 0) {
        printf(" (result %s)", wasmfile_valtype((ValType)-bt));
        return;
    }
    if ((uint64_t)bt < m->ntypes) {
        char buf[256];
        wasmfile_functype(&m->types[bt], buf, sizeof buf);
        printf(" (type %" PRId64 ") %s", bt, buf);
    } else {
        printf(" (type %" PRId64 ")", bt);
    }
}

static void print_imm(const Module *m, const Instr *in, const Reader *r)
{
    switch ((ImmKind)opcode_info[in->op].imm) {
    case IMM_NONE: case IMM_MEMIDX: case IMM_MEMCOPY:
        break;
    case IMM_BLOCK:
        print_blocktype(m, in->blocktype);
        break;
    case IMM_FUNC: {
        const char *name = wasmfile_func_name(m, in->a);
        printf(" %u%s%s", in->a, name ? " ;; $" : "", name ? name : "");
        break;
    }
    case IMM_LABEL: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE: case IMM_DATA: case IMM_ELEM:
        printf(" %u", in->a);
        break;
    case IMM_BRTABLE: {
        Reader lr = {r->p, in->br_labels, r->end, false, 0, NULL};
        for (uint32_t i = 0; i <= in->br_count && !lr.failed; i++)
            printf(" %u", reader_u32(&lr));
        break;
    }
    case IMM_CALLI:
        printf(" (type %u)", in->a);
        if (in->b)
            printf(" (table %u)", in->b);
        break;
    case IMM_MEM:
        if (in->b)
            printf(" offset=%u", in->b);
        printf(" align=%u", 1u << (in->a & 31));
        break;
    case IMM_I32:
        printf(" %" PRId32, (int32_t)in->bits);
        break;
    case IMM_I64:
        printf(" %" PRId64, (int64_t)in->bits);
        break;
    case IMM_F32: {
        float f;
        uint32_t u = (uint32_t)in->bits;
        memcpy(&f, &u, 4);
        printf(" %.9g", (double)f);
        break;
    }
    case IMM_F64: {
        double d;
        memcpy(&d, &in->bits, 8);
        printf(" %.17g", d);
        break;
    }
    case IMM_SELECTT:
        printf(" (result %s)", wasmfile_valtype(in->select_type));
        break;
    case IMM_REFNULL:
        printf(" %s", in->a == LODGE_FUNCREF ? "func" : "extern");
        break;
    case IMM_MEMINIT:
        printf(" %u", in->a);
        break;
    case IMM_TABLEINIT: case IMM_TABLECOPY:
        printf(" %u %u", in->a, in->b);
        break;
    }
}

/* The interpreter's threaded code for the function, as lowered at load time. */
static void lowered_func(const Module *m, uint32_t idx)
{
    lodge_error_t err;
    const InterpCode *c = interp_code_get(m, idx, &err);
    if (!c) {
        printf("func[%u]: %s\n\n", idx, err.message);
        return;
    }
    const char *name = wasmfile_func_name(m, idx);
    printf("func[%u]%s%s  threaded code: %u units, frame of %u slots (s0..s%u locals, then operands)\n", idx,
           name ? " $" : "", name ? name : "", c->len, c->frame_slots, c->nlocals ? c->nlocals - 1 : 0);
    char line[512];
    uint32_t pos = 0;
    while (pos < c->len && interp_describe(c, &pos, line, sizeof line))
        printf("  %s\n", line);
    printf("\n");
}

static void disasm_func(const Module *m, uint32_t idx)
{
    const FuncBody *b = &m->bodies[idx - m->nimported_funcs];
    const char *name = wasmfile_func_name(m, idx);
    char buf[512] = "";
    if (m->func_types[idx] < m->ntypes)
        wasmfile_functype(&m->types[m->func_types[idx]], buf, sizeof buf);
    printf("func[%u]%s%s %s\n", idx, name ? " $" : "", name ? name : "", buf);
    const FuncType *t = m->func_types[idx] < m->ntypes ? &m->types[m->func_types[idx]] : NULL;
    uint32_t np = t ? t->nparams : 0;
    if (b->nlocals > np) {
        printf("  (local");
        for (uint32_t i = np; i < b->nlocals; i++)
            printf(" %s", wasmfile_valtype(b->local_types[i]));
        printf(")\n");
    }
    Reader r = {m->bytes, b->code_start, b->end, false, 0, NULL};
    int depth = 1;
    Instr in;
    while (!reader_eof(&r)) {
        if (!reader_instr(&r, &in)) {
            printf("  %06zx: <%s>\n", r.fail_offset, r.fail_msg);
            return;
        }
        if (in.op == OP_END || in.op == OP_ELSE)
            depth--;
        if (!(in.op == OP_END && depth == 0 && reader_eof(&r))) {
            printf("  %06zx: %*s%s", in.offset, depth * 2, "", opcode_info[in.op].name);
            print_imm(m, &in, &r);
            printf("\n");
        }
        if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF || in.op == OP_ELSE)
            depth++;
    }
    printf("\n");
}

int cli_disasm(int argc, char **argv)
{
    const char *file = NULL, *only = NULL;
    bool lowered = false;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: lodge disasm FILE.wasm [--func NAME|INDEX] [--lowered]\n\n"
                   "Print each function body as text-format instructions, with byte offsets and block\n"
                   "nesting. --func shows one function, by name (name section or export) or index.\n"
                   "--lowered shows instead the interpreter's threaded code the module was compiled to:\n"
                   "operands are frame slots (sN) and constants (#N), branches are resolved (->N).\n");
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--lowered") == 0) {
            lowered = true;
        } else if (strcmp(argv[i], "--func") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "lodge disasm: unexpected argument '%s' (see --help)\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        fprintf(stderr, "usage: lodge disasm FILE.wasm [--func NAME|INDEX]\n");
        return CLI_EXIT_USAGE;
    }
    lodge_engine_t *engine = lodge_engine_new(NULL);
    Module *m = NULL;
    lodge_module_t *compiled = NULL;
    if (engine && lowered) {
        size_t len;
        uint8_t *bytes = cli_load_module_bytes(file, &len);
        lodge_error_t err;
        compiled = bytes ? lodge_module_new(engine, bytes, len, &err) : NULL;
        if (bytes && !compiled)
            fprintf(stderr, "lodge: %s: %s\n", file, err.message);
        free(bytes);
        m = compiled ? (Module *)module_of(compiled) : NULL;
    } else if (engine) {
        m = wasmfile_open(engine, file);
    }
    if (!m) {
        lodge_engine_delete(engine);
        return CLI_EXIT_ERROR;
    }
    int rc = CLI_EXIT_OK;
    bool found = false;
    for (uint32_t idx = m->nimported_funcs; idx < m->nfuncs; idx++) {
        if (only) {
            const char *name = wasmfile_func_name(m, idx);
            char num[16];
            snprintf(num, sizeof num, "%u", idx);
            if (!(name && strcmp(name, only) == 0) && strcmp(num, only) != 0)
                continue;
        }
        found = true;
        if (lowered)
            lowered_func(m, idx);
        else
            disasm_func(m, idx);
    }
    if (only && !found) {
        fprintf(stderr, "lodge disasm: %s: no defined function named '%s'\n", file, only);
        rc = CLI_EXIT_ERROR;
    }
    if (compiled)
        lodge_module_delete(compiled);
    else
        wasmfile_close(m);
    lodge_engine_delete(engine);
    return rc;
}
