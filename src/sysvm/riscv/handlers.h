/* The instruction handlers of the interpreter, included by interp.c once per instruction length (LEN = 4,
 * then LEN = 2 for compressed forms) so that stepping to the next instruction is a constant. Labels are
 * L_<handler>_<LEN>; the shared exits (trap, illegal, refetch, out) live in interp.c. */

OP(LUI)   RD = (uint64_t)(int64_t)ip->imm; NEXT();
OP(AUIPC) RD = pc + (uint64_t)(int64_t)ip->imm; NEXT();
OP(JAL)   { RD = pc + LEN; NEAR_JUMP(); }
OP(FAR) {
        bool taken;
        switch (ip->op) {
        case RV_OP_BEQ: taken = RS1 == RS2; break;
        case RV_OP_BNE: taken = RS1 != RS2; break;
        case RV_OP_BLT: taken = (int64_t)RS1 < (int64_t)RS2; break;
        case RV_OP_BGE: taken = (int64_t)RS1 >= (int64_t)RS2; break;
        case RV_OP_BLTU: taken = RS1 < RS2; break;
        case RV_OP_BGEU: taken = RS1 >= RS2; break;
        default: RD = pc + LEN; taken = true; break;     /* JAL */
        }
        if (taken) { n++; h->pc = pc + (uint64_t)(int64_t)ip->imm; goto refetch; }
        NEXT();
    }
OP(JALR)  { uint64_t t = (RS1 + (uint64_t)(int64_t)ip->imm) & ~1ull; RD = pc + LEN; JUMP(t); }
OP(BEQ)   BRANCH(RS1 == RS2);
OP(BNE)   BRANCH(RS1 != RS2);
OP(BLT)   BRANCH((int64_t)RS1 < (int64_t)RS2);
OP(BGE)   BRANCH((int64_t)RS1 >= (int64_t)RS2);
OP(BLTU)  BRANCH(RS1 < RS2);
OP(BGEU)  BRANCH(RS1 >= RS2);

OP(LB)  LOAD(int8_t, RD); NEXT();
OP(LH)  LOAD(int16_t, RD); NEXT();
OP(LW)  LOAD(int32_t, RD); NEXT();
OP(LD)  LOAD(uint64_t, RD); NEXT();
OP(LBU) LOAD(uint8_t, RD); NEXT();
OP(LHU) LOAD(uint16_t, RD); NEXT();
OP(LWU) LOAD(uint32_t, RD); NEXT();
OP(SB)  STORE(uint8_t, RS2); NEXT();
OP(SH)  STORE(uint16_t, RS2); NEXT();
OP(SW)  STORE(uint32_t, RS2); NEXT();
OP(SD)  STORE(uint64_t, RS2); NEXT();

OP(ADDI)  RD = RS1 + (uint64_t)(int64_t)ip->imm; NEXT();
OP(SLTI)  RD = (int64_t)RS1 < (int64_t)ip->imm; NEXT();
OP(SLTIU) RD = RS1 < (uint64_t)(int64_t)ip->imm; NEXT();
OP(XORI)  RD = RS1 ^ (uint64_t)(int64_t)ip->imm; NEXT();
OP(ORI)   RD = RS1 | (uint64_t)(int64_t)ip->imm; NEXT();
OP(ANDI)  RD = RS1 & (uint64_t)(int64_t)ip->imm; NEXT();
OP(SLLI)  RD = RS1 << ip->imm; NEXT();
OP(SRLI)  RD = RS1 >> ip->imm; NEXT();
OP(SRAI)  RD = (uint64_t)((int64_t)RS1 >> ip->imm); NEXT();
OP(ADD)   RD = RS1 + RS2; NEXT();
OP(SUB)   RD = RS1 - RS2; NEXT();
OP(SLL)   RD = RS1 << (RS2 & 63); NEXT();
OP(SLT)   RD = (int64_t)RS1 < (int64_t)RS2; NEXT();
OP(SLTU)  RD = RS1 < RS2; NEXT();
OP(XOR)   RD = RS1 ^ RS2; NEXT();
OP(SRL)   RD = RS1 >> (RS2 & 63); NEXT();
OP(SRA)   RD = (uint64_t)((int64_t)RS1 >> (RS2 & 63)); NEXT();
OP(OR)    RD = RS1 | RS2; NEXT();
OP(AND)   RD = RS1 & RS2; NEXT();
OP(ADDIW) RD = sx32(RS1 + (uint64_t)(int64_t)ip->imm); NEXT();
OP(SLLIW) RD = sx32((uint32_t)RS1 << ip->imm); NEXT();
OP(SRLIW) RD = sx32((uint32_t)RS1 >> ip->imm); NEXT();
OP(SRAIW) RD = (uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> ip->imm); NEXT();
OP(ADDW)  RD = sx32(RS1 + RS2); NEXT();
OP(SUBW)  RD = sx32(RS1 - RS2); NEXT();
OP(SLLW)  RD = sx32((uint32_t)RS1 << (RS2 & 31)); NEXT();
OP(SRLW)  RD = sx32((uint32_t)RS1 >> (RS2 & 31)); NEXT();
OP(SRAW)  RD = (uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> (RS2 & 31)); NEXT();

OP(MUL)    RD = RS1 * RS2; NEXT();
OP(MULH)   RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64); NEXT();
OP(MULHSU) RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(unsigned __int128)RS2) >> 64); NEXT();
OP(MULHU)  RD = (uint64_t)(((unsigned __int128)RS1 * RS2) >> 64); NEXT();
OP(DIV) {
        int64_t a = (int64_t)RS1, b = (int64_t)RS2;
        RD = b == 0 ? ~0ull : (a == INT64_MIN && b == -1) ? (uint64_t)a : (uint64_t)(a / b);
        NEXT();
    }
OP(DIVU) { uint64_t a = RS1, b = RS2; RD = b == 0 ? ~0ull : a / b; NEXT(); }
OP(REM) {
        int64_t a = (int64_t)RS1, b = (int64_t)RS2;
        RD = b == 0 ? (uint64_t)a : (a == INT64_MIN && b == -1) ? 0 : (uint64_t)(a % b);
        NEXT();
    }
OP(REMU) { uint64_t a = RS1, b = RS2; RD = b == 0 ? a : a % b; NEXT(); }
OP(MULW) RD = sx32(RS1 * RS2); NEXT();
OP(DIVW) {
        int32_t a = (int32_t)RS1, b = (int32_t)RS2;
        RD = b == 0 ? ~0ull : (a == INT32_MIN && b == -1) ? (uint64_t)(int64_t)a : (uint64_t)(int64_t)(a / b);
        NEXT();
    }
OP(DIVUW) { uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2; RD = b == 0 ? ~0ull : sx32(a / b); NEXT(); }
OP(REMW) {
        int32_t a = (int32_t)RS1, b = (int32_t)RS2;
        RD = b == 0 ? (uint64_t)(int64_t)a : (a == INT32_MIN && b == -1) ? 0 : (uint64_t)(int64_t)(a % b);
        NEXT();
    }
OP(REMUW) { uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2; RD = sx32(b == 0 ? a : a % b); NEXT(); }

OP(FENCE) NEXT();
OP(PAUSE)
    /* A spin-wait hint: with other harts to run, end the slice so the lock holder gets the host sooner. */
    if (h->npeers > 1) { n++; pc += LEN; goto out; }
    NEXT();
OP(FENCE_I)
    /* Stores to decoded pages already invalidated them, so only the refetch is left to do. */
    h->pc = pc + LEN; n++;
    goto refetch;
OP(ECALL)
    h->pc = pc;
    if (h->priv == HART_PRIV_S && h->bus.sbi_ecall) {
        h->stats.instret = h->instret + n;
        if (h->bus.sbi_ecall(h->bus.opaque, h)) {
            h->stats.sbi_calls++;
            h->pc += LEN; n++;
            if (h->stopped) { pc = h->pc; goto out; }
            goto refetch;
        }
    }
    riscv_trap_raise(h, h->priv == HART_PRIV_U ? RV_EXC_ECALL_U :
                        h->priv == HART_PRIV_S ? RV_EXC_ECALL_S : RV_EXC_ECALL_M, 0);
    goto trap;
OP(EBREAK)
    h->pc = pc;
    riscv_trap_raise(h, RV_EXC_BREAKPOINT, pc);
    goto trap;
OP(SRET)
    if (h->priv < HART_PRIV_S || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TSR))) goto illegal;
    riscv_trap_sret(h); n++;
    goto refetch;
OP(MRET)
    if (h->priv != HART_PRIV_M) goto illegal;
    riscv_trap_mret(h); n++;
    goto refetch;
OP(WFI)
    if (h->priv == HART_PRIV_U || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TW))) goto illegal;
    h->pc = pc + LEN; n++;
    if (!(h->mip & h->mie)) { h->idle = true; pc = h->pc; goto out; }
    goto refetch;
OP(SFENCE_VMA)
    if (h->priv == HART_PRIV_U || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TVM))) goto illegal;
    if (ip->rs1) riscv_mmu_flush_page(h, x[ip->rs1]); else riscv_mmu_flush(h);
    h->pc = pc + LEN; n++;
    goto refetch;
OP(CSR)
    h->pc = pc;
    h->stats.instret = h->instret + n;       /* instret/cycle reads see the count so far */
    if (!riscv_csr_exec(h, ip)) goto trap;
    h->pc = pc + LEN; n++;
    goto refetch;

OP(AMO)
    h->pc = pc;
    if (!riscv_amo_exec(h, ip)) goto trap;
    NEXT();
OP(FPU)
    h->pc = pc;
    if (!riscv_fpu_exec(h, ip)) goto trap;
    NEXT();
OP(FLW) {
        if (!FP_ENABLED()) goto illegal;
        uint32_t v; LOAD(uint32_t, v);
        h->f[ip->rd] = 0xffffffff00000000ull | v; h->mstatus |= MSTATUS_FS;
        NEXT();
    }
OP(FLD) {
        if (!FP_ENABLED()) goto illegal;
        uint64_t v; LOAD(uint64_t, v);
        h->f[ip->rd] = v; h->mstatus |= MSTATUS_FS;
        NEXT();
    }
OP(FSW) if (!FP_ENABLED()) goto illegal; STORE(uint32_t, h->f[ip->rs2]); NEXT();
OP(FSD) if (!FP_ENABLED()) goto illegal; STORE(uint64_t, h->f[ip->rs2]); NEXT();

