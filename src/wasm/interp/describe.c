/* describe.c: the threaded code in readable form (`lodge disasm --lowered`), so a learner can compare
 * the bytecode with what the interpreter actually dispatches: slots are written sN, constants #N. */
#include <stdio.h>
#include <string.h>

#include "wasm/interp/code.h"

static const char *iop_name(unsigned iop)
{
    static const char *const names[IOP_COUNT_ - OP_COUNT_] = {
        [IOP_BR_BACK - OP_COUNT_] = "br.back",
        [IOP_BR_UNLESS - OP_COUNT_] = "br_unless",
        [IOP_BR_IF_BACK - OP_COUNT_] = "br_if.back",
        [IOP_COPY - OP_COUNT_] = "copy",
        [IOP_F64_MULADD - OP_COUNT_] = "f64.muladd",
        [IOP_F64_MULSUB - OP_COUNT_] = "f64.mulsub",
        [IOP_F64_SUBMUL - OP_COUNT_] = "f64.submul",
#define X(op, ...) [IOP_##op##_I - OP_COUNT_] = #op "_imm",
        INTERP_IMM_OPS(X)
        INTERP_CMP_OPS(X)
#undef X
#define X(op, ...) [IOP_BR_##op - OP_COUNT_] = "br_if." #op, [IOP_BR_##op##_I - OP_COUNT_] = "br_if." #op "_imm",
        INTERP_CMP_OPS(X)
#undef X
#define X(op, ...) [IOP_##op##_RI - OP_COUNT_] = #op "[s+imm]", [IOP_##op##_RR - OP_COUNT_] = #op "[s+s]",
        INTERP_LOAD_OPS(X)
        INTERP_STORE_OPS(X)
#undef X
    };
    if (iop < OP_COUNT_)
        return opcode_info[iop].name;
    return iop < IOP_COUNT_ ? names[iop - OP_COUNT_] : "?";
}

/* Operand kinds, in emission order: s = slot, # = constant, > = branch offset, k = index, n = count. */
static const char *operands(unsigned iop)
{
    if (iop >= OP_COUNT_) {
        if (iop == IOP_BR_BACK) return ">";
        if (iop == IOP_BR_UNLESS || iop == IOP_BR_IF_BACK) return "s>";
        if (iop == IOP_COPY) return "ss";
        if (iop >= IOP_F64_MULADD) return "ssss";
        if (iop < IOP_BR_I32_EQ) return "ss#";
        if (iop < IOP_I32_LOAD_RI) return (iop - IOP_BR_I32_EQ) % 2 ? "s#>" : "ss>";
        bool ri = (iop - IOP_I32_LOAD_RI) % 2 == 0;
        if (iop < IOP_I32_STORE_RI) return ri ? "ss##" : "sss#";
        return ri ? "s#s#" : "sss#";
    }
    switch ((Opcode)iop) {
    case OP_UNREACHABLE: case OP_NOP: case OP_RETURN: return "";
    case OP_BR: return ">";
    case OP_BR_IF: return "s>";
    case OP_BR_TABLE: return "sn";
    case OP_CALL: return "ks";
    case OP_CALL_INDIRECT: return "kkss";
    case OP_SELECT: return "ssss";
    case OP_GLOBAL_GET: return "sk";
    case OP_GLOBAL_SET: return "ks";
    case OP_TABLE_GET: return "sks";
    case OP_TABLE_SET: return "kss";
    case OP_TABLE_SIZE: return "sk";
    case OP_TABLE_GROW: return "skss";
    case OP_TABLE_FILL: return "ksss";
    case OP_TABLE_COPY: case OP_TABLE_INIT: return "kksss";
    case OP_ELEM_DROP: case OP_DATA_DROP: return "k";
    case OP_REF_NULL: case OP_MEMORY_SIZE: return "s";
    case OP_REF_IS_NULL: case OP_MEMORY_GROW: return "ss";
    case OP_REF_FUNC: return "sk";
    case OP_MEMORY_INIT: return "ksss";
    case OP_MEMORY_COPY: case OP_MEMORY_FILL: return "sss";
    case OP_I32_CONST: case OP_F32_CONST: return "s#";
    case OP_I64_CONST: case OP_F64_CONST: return "s##";
    default: break;
    }
    const OpInfo *in = &opcode_info[iop];
    if (in->imm == IMM_MEM)
        return in->r ? "ss#" : "ss#";
    if (in->r)
        return in->b ? "sss" : "ss";
    return "ss";
}

bool interp_describe(const InterpCode *c, uint32_t *pos, char *buf, size_t n)
{
    uint32_t at = *pos;
    if (at + 2 > c->len)
        return false;
    const void *h;
    memcpy(&h, &c->code[at], sizeof h);
    const void *const *table = interp_handlers(c->checked);
    unsigned iop = IOP_COUNT_;
    for (unsigned i = 0; i < IOP_COUNT_; i++)
        if (table[i] == h) {
            iop = i;
            break;
        }
    if (iop == IOP_COUNT_)
        return false;
    size_t used = (size_t)snprintf(buf, n, "%5u: %-18s", at, iop_name(iop));
    const uint32_t *ops = &c->code[at + 2];
    const char *kinds = operands(iop);
    uint32_t k = 0;
    for (; kinds[k] && at + 2 + k < c->len && used < n; k++) {
        uint32_t v = ops[k];
        switch (kinds[k]) {
        case 's': used += (size_t)snprintf(buf + used, n - used, " s%u", v); break;
        case '#': used += (size_t)snprintf(buf + used, n - used, " #%d", (int32_t)v); break;
        case '>': used += (size_t)snprintf(buf + used, n - used, " ->%d", (int32_t)(at + 2 + k + (int32_t)v)); break;
        default: used += (size_t)snprintf(buf + used, n - used, " %u", v); break;
        }
    }
    if (iop == OP_BR_TABLE && at + 4 <= c->len) {
        uint32_t cnt = ops[1];
        for (uint32_t i = 0; i <= cnt && at + 4 + i < c->len && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, " ->%d", (int32_t)(at + 4 + i + (int32_t)ops[2 + i]));
        k += cnt + 1;
    }
    *pos = at + 2 + k;
    return true;
}
