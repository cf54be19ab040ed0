/* bytecode.c: branchy code: a small stack-machine interpreter in C (a switch in a loop, so a jump table
 * and unpredictable indirect branches), running a loop program of its own. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 2000000

enum { PUSH, LOAD, STORE, INC, ADD, SUB, MUL, XOR, AND, SHR, LT, JZ, JNZ, JMP, CALL, RET, HALT };

typedef struct {
    uint32_t op, arg;
} Insn;

#define MAXCODE 64
static Insn code[MAXCODE];
static uint32_t ncode;

static uint32_t emit(uint32_t op, uint32_t arg)
{
    code[ncode].op = op;
    code[ncode].arg = arg;
    return ncode++;
}

/* acc = 7; for (i = 0; i < n; i++) { acc = acc * 31 + (i ^ acc >> 3); if ((i & 3) == 0) acc ^= f(i); }
 * where f(x) = x * 7 - (x >> 2) is a called subroutine. Registers: r0 = n, r1 = i, r2 = acc, r3 = x. */
static uint32_t assemble(void)
{
    ncode = 0;
    emit(PUSH, 0); emit(STORE, 1);
    emit(PUSH, 7); emit(STORE, 2);
    uint32_t loop = emit(LOAD, 1);
    emit(LOAD, 0); emit(LT, 0);
    uint32_t exit_jump = emit(JZ, 0);
    emit(LOAD, 2); emit(PUSH, 31); emit(MUL, 0);
    emit(LOAD, 1); emit(LOAD, 2); emit(SHR, 3); emit(XOR, 0); emit(ADD, 0); emit(STORE, 2);
    emit(LOAD, 1); emit(PUSH, 3); emit(AND, 0);
    uint32_t skip_jump = emit(JNZ, 0);
    emit(LOAD, 1); emit(STORE, 3);
    uint32_t call = emit(CALL, 0);
    emit(LOAD, 2); emit(XOR, 0); emit(STORE, 2);
    code[skip_jump].arg = emit(INC, 1);
    emit(JMP, loop);
    code[exit_jump].arg = emit(LOAD, 2);
    emit(HALT, 0);
    code[call].arg = emit(LOAD, 3);          /* f: pushes x * 7 - (x >> 2) */
    emit(PUSH, 7); emit(MUL, 0);
    emit(LOAD, 3); emit(SHR, 2); emit(SUB, 0);
    emit(RET, 0);
    return ncode;
}

static BENCH_NOINLINE uint32_t execute(uint32_t n)
{
    uint32_t stack[32], rets[8], reg[8] = { n };
    uint32_t sp = 0, rp = 0, pc = 0;
    for (;;) {
        const Insn *in = &code[pc++];
        switch (in->op) {
        case PUSH: stack[sp++] = in->arg; break;
        case LOAD: stack[sp++] = reg[in->arg & 7]; break;
        case STORE: reg[in->arg & 7] = stack[--sp]; break;
        case INC: reg[in->arg & 7]++; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case SHR: stack[sp - 1] >>= in->arg & 31; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: if (stack[--sp] == 0) pc = in->arg; break;
        case JNZ: if (stack[--sp] != 0) pc = in->arg; break;
        case JMP: pc = in->arg; break;
        case CALL: rets[rp++ & 7] = pc; pc = in->arg; break;
        case RET: pc = rets[--rp & 7]; break;
        case HALT: return stack[sp - 1];
        default: return 0xDEAD;
        }
        sp &= 31;
    }
}

uint32_t run(uint32_t n)
{
    assemble();
    return execute(n);
}
