/* The inside of a hart, shared by the files of src/sysvm/riscv/: the Hart struct, the decoded-instruction form,
 * the TLB and decode-cache layouts, CSR numbers and the calls between decoder, interpreter, CSRs, traps,
 * MMU and FPU. Nothing outside this folder includes it. */
#ifndef LODGE_SYSVM_RISCV_CPU_H
#define LODGE_SYSVM_RISCV_CPU_H

#include "sysvm/riscv/hart.h"

#define RV_LIKELY(x) __builtin_expect(!!(x), 1)
#define RV_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Opcodes: the table's rows, after a few internal ones. RV_OP_DECODE must be 0: a zeroed slot decodes. */
enum {
    RV_OP_DECODE = 0, /* slot not decoded yet */
    RV_OP_PAGE_END,   /* one past the last slot of a page: look the next pc up */
    RV_OP_CROSS,      /* a 32-bit instruction straddling two pages: fetched and decoded each time */
    RV_OP_ILLEGAL,    /* imm holds the instruction word (for mtval) */
#define INSN(name, text, mask, match, fmt, handler) RV_OP_##name,
#include "sysvm/riscv/insns.def"
#undef INSN
    RV_OP_COUNT
};

enum {
    RV_FMT_NONE, RV_FMT_R, RV_FMT_I, RV_FMT_SH6, RV_FMT_SH5, RV_FMT_LD, RV_FMT_ST, RV_FMT_B, RV_FMT_U,
    RV_FMT_J, RV_FMT_JR, RV_FMT_CSR, RV_FMT_CSRI, RV_FMT_LR, RV_FMT_AMO, RV_FMT_SFV, RV_FMT_FLD, RV_FMT_FST,
    RV_FMT_FR, RV_FMT_FR1, RV_FMT_FR4, RV_FMT_FX, RV_FMT_XF, RV_FMT_FCMP
};

/* One decoded instruction, 16 bytes. hoff locates the interpreter label that runs it (its address minus
 * that of the DECODE label, so an all-zero slot means "not decoded yet"), chosen by opcode and length: each
 * handler exists once per instruction length, so stepping past it is a constant. Integer destination x0 is
 * decoded as RV_XSINK so handlers write rd blindly. */
typedef struct RvInsn {
    int32_t hoff;
    int32_t imm;               /* immediate; FP: rm | rs3 << 3; CSR: csr | funct3 << 12; ILLEGAL: the word */
    uint8_t op, rd, rs1, rs2;
    uint32_t pad;
} RvInsn;

#define RV_FP_RM(in) ((unsigned)(in)->imm & 7)
#define RV_FP_RS3(in) (((unsigned)(in)->imm >> 3) & 31)

#define RV_XSINK 32

/* Decoded instructions of one physical page, one slot per halfword, decoded lazily when first executed.
 * The slot arrays live in one reserved region whose host pages are committed on first touch, so memory
 * follows the code that actually runs, not the number of pages. */
#define RV_PAGE_SLOTS 2048
#define RV_SLOT_BYTES 36864       /* (RV_PAGE_SLOTS + 2) slots, rounded up to host pages */
#define RV_SLOT_CHUNKS 9          /* of 256 slots (4 KiB): the last one holds the sentinels */
typedef struct RvCodePage {
    uint64_t ppn;                 /* physical page number; ~0 when free */
    struct RvCodePage *next;      /* hash chain */
    uint8_t *host;                /* the page's bytes in guest RAM */
    struct RvInsn *slot;          /* RV_PAGE_SLOTS slots, then two PAGE_END sentinels */
    uint16_t touched;             /* 256-slot chunks that may hold non-zero slots */
    bool dead;                    /* its memory could not be made accessible again: never used */
    bool live;                    /* holds decoded slots (its bit in the code bitmap is set) */
    bool referenced;              /* entered since the clock hand last passed (eviction) */
    uint8_t nrefs;                /* fetch-TLB entries filled with this page (past 4: unknown) */
    struct RvTlbEntry *refs[4];
} RvCodePage;

/* A recently decoded instruction word (the decode cache's cache of riscv_decode results). */
#define RV_DCACHE_SIZE 4096
typedef struct RvDecoded {
    uint32_t word;
    uint8_t len;                  /* 0: empty */
    RvInsn in;
} RvDecoded;

/* TLB: direct-mapped, 256 entries per (translation context, access type). tag is the virtual page address
 * (low 12 bits zero) or RV_TLB_EMPTY; host address = vaddr + addend. Only RAM pages are cached. */
#define RV_TLB_SIZE 256
/* Never equal to a looked-up tag: lookups clear bit 11 (and the low bits beyond the access size). */
#define RV_TLB_EMPTY 0x800ull
typedef struct RvTlbEntry {
    uint64_t tag;
    uintptr_t addend;             /* fetch TLB: the RvCodePage of the page instead (0 until looked up) */
} RvTlbEntry;

enum { RV_ACC_R = 0, RV_ACC_W = 1, RV_ACC_X = 2 };
/* Translation contexts: each has its own TLB so that privilege changes never flush. */
enum { RV_CTX_U = 0, RV_CTX_S = 1, RV_CTX_S_SUM = 2, RV_CTX_M = 3, RV_CTX_COUNT = 4 };

/* Exception causes. */
enum {
    RV_EXC_INSN_MISALIGNED = 0, RV_EXC_INSN_ACCESS = 1, RV_EXC_ILLEGAL = 2, RV_EXC_BREAKPOINT = 3,
    RV_EXC_LOAD_MISALIGNED = 4, RV_EXC_LOAD_ACCESS = 5, RV_EXC_STORE_MISALIGNED = 6, RV_EXC_STORE_ACCESS = 7,
    RV_EXC_ECALL_U = 8, RV_EXC_ECALL_S = 9, RV_EXC_ECALL_M = 11,
    RV_EXC_INSN_PAGE = 12, RV_EXC_LOAD_PAGE = 13, RV_EXC_STORE_PAGE = 15
};

/* mstatus bits. */
#define MSTATUS_SIE  (1ull << 1)
#define MSTATUS_MIE  (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP  (1ull << 8)
#define MSTATUS_MPP  (3ull << 11)
#define MSTATUS_FS   (3ull << 13)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM  (1ull << 18)
#define MSTATUS_MXR  (1ull << 19)
#define MSTATUS_TVM  (1ull << 20)
#define MSTATUS_TW   (1ull << 21)
#define MSTATUS_TSR  (1ull << 22)
#define MSTATUS_UXL  (3ull << 32)
#define MSTATUS_SXL  (3ull << 34)
#define MSTATUS_SD   (1ull << 63)

struct Hart {
    /* Hot state first. */
    uint64_t x[33];               /* x0..x31, then the x0 sink */
    uint64_t f[32];               /* NaN-boxed when holding a single */
    uint64_t pc;
    RvTlbEntry *tlb_r, *tlb_w, *tlb_x;    /* the current contexts' TLBs */
    uint64_t mip, mie;
    int priv;
    uint64_t mstatus;
    uint8_t fflags, frm;
    bool stopped, idle;
    /* LR/SC reservation: valid flag and address. */
    bool resv_valid;
    uint64_t resv_addr;

    uint64_t instret;             /* retired instructions, also mcycle */
    uint64_t mcycle_off, minstret_off;   /* values written to mcycle/minstret minus instret */
    /* CSRs. */
    uint64_t medeleg, mideleg, mtvec, mscratch, mepc, mcause, mtval, mcounteren, menvcfg, mcountinhibit;
    uint64_t stvec, sscratch, sepc, scause, stval, scounteren, senvcfg, satp;
    uint64_t pmpcfg[16], pmpaddr[64];

    HartBus bus;
    uint32_t hartid;
    HartStats stats;

    /* Decode cache. */
    RvCodePage *cc_bucket[1024];
#define RV_CC_PAGES 128
    RvCodePage cc_pages[RV_CC_PAGES];    /* the first cc_count are in use; the clock walks them */
    unsigned cc_count, cc_hand;
    uint8_t *cc_region;                  /* RV_CC_PAGES * RV_SLOT_BYTES, reserved */
    uint64_t *code_bits;          /* one bit per RAM page that some hart of the machine has decoded */
    uint64_t *own_code_bits;      /* this hart's allocation (code_bits may be a peer's) */
    size_t own_code_words;        /* its length in 64-bit words */
    Hart *const *peers;
    unsigned npeers;
    RvDecoded dcache[RV_DCACHE_SIZE];
    RvInsn xslot[4];              /* a page-crossing instruction, then PAGE_END sentinels */
    /* Interpreter labels the decode cache needs (set by the interpreter on entry). */
    uintptr_t h_base;                    /* the DECODE label: hoff 0 */
    int32_t hoff_page_end;
    const void *const *h_labels4, *const *h_labels2;
    const void *h_far4, *h_far2;
    /* Superpage ranges cached in the TLB since the last full flush (see riscv_mmu_flush_page). */
#define RV_MAX_SUPER 16
    unsigned nsuper;
    uint64_t super_base[RV_MAX_SUPER], super_size[RV_MAX_SUPER];

    RvTlbEntry tlb[RV_CTX_COUNT][3][RV_TLB_SIZE];
    /* Victim entries: what a fill pushed out of tlb[c][a][i] (read and write TLBs only), checked by the slow
     * path before walking, so two hot pages sharing an index cost a swap, not a walk. */
    RvTlbEntry vtlb[RV_CTX_COUNT][3][RV_TLB_SIZE];
};

/* decode.c */
/* word: 16-bit (low 2 bits != 3) or 32-bit. Fills all but handler; returns the length, 2 or 4. */
int riscv_decode(uint32_t word, RvInsn *out);
uint32_t riscv_decode_expand_c(uint16_t c);             /* 32-bit equivalent, or 0 when illegal */
const char *riscv_decode_name(unsigned op);
int riscv_decode_format(unsigned op);

/* interp.c */
uint64_t riscv_interp_run(Hart *h, uint64_t max_insns);

/* trap.c: raise an exception at h->pc (sets pc, priv, CSRs). */
void riscv_trap_raise(Hart *h, uint64_t cause, uint64_t tval);
/* Take the highest-priority pending and enabled interrupt; false if none. */
bool riscv_trap_interrupt(Hart *h);
void riscv_trap_mret(Hart *h);
void riscv_trap_sret(Hart *h);
/* Recompute the TLB pointers after priv or mstatus changed. */
void riscv_trap_update_mode(Hart *h);

/* csr.c: returns false (illegal instruction) when the CSR is absent or not accessible. */
bool riscv_csr_read(Hart *h, unsigned csr, uint64_t *val);
bool riscv_csr_write(Hart *h, unsigned csr, uint64_t val);
/* Execute a CSR instruction; false after raising the trap. */
bool riscv_csr_exec(Hart *h, const RvInsn *in);

/* mmu.c: return false after raising the trap. */
bool riscv_mmu_translate(Hart *h, uint64_t va, int acc, uint64_t *pa);
bool riscv_mmu_load_slow(Hart *h, uint64_t va, unsigned size, uint64_t *val);
bool riscv_mmu_store_slow(Hart *h, uint64_t va, unsigned size, uint64_t val);
/* Host pointer for an aligned atomic access (LR/SC/AMO), translating as a store (AMOs need write access,
 * LR needs read access only: acc says which). NULL after raising the trap. */
void *riscv_mmu_atomic_ptr(Hart *h, uint64_t va, unsigned size, int acc);
bool riscv_mmu_fetch16(Hart *h, uint64_t va, uint16_t *val);
void riscv_mmu_flush(Hart *h);                        /* all translated contexts */
void riscv_mmu_flush_page(Hart *h, uint64_t va);
/* Drop write-TLB entries mapping host page `host` (it now holds code). */
void riscv_mmu_unmap_write(Hart *h, const uint8_t *host);

/* codecache.c */
RvCodePage *riscv_codecache_fetch(Hart *h, uint64_t pc);   /* NULL after raising the trap */
void riscv_codecache_decode(Hart *h, RvCodePage *p, unsigned slot);   /* sets the slot's handler too */
/* near: the instruction sits in a decoded page at byte offset `near - 1` (0: it does not, as in xslot), so a
 * branch or JAL whose target is on the same page can use the near handler. */
void riscv_codecache_set_handler(const Hart *h, RvInsn *in, int len, unsigned near);
void riscv_codecache_store(Hart *h, uint64_t paddr, uint64_t len);  /* guest wrote code */
void riscv_codecache_flush(Hart *h);
bool riscv_codecache_init(Hart *h);      /* false when out of address space */
void riscv_codecache_free(Hart *h);

/* fpu.c: execute an FP compute instruction; false after raising the trap. */
bool riscv_fpu_exec(Hart *h, const RvInsn *in);
/* amo.c */
bool riscv_amo_exec(Hart *h, const RvInsn *in);

static inline bool riscv_is_ram(const Hart *h, uint64_t pa, uint64_t len)
{
    return pa >= h->bus.ram_base && pa - h->bus.ram_base < h->bus.ram_size &&
           len <= h->bus.ram_size - (pa - h->bus.ram_base);
}

static inline bool riscv_is_code_page(const Hart *h, uint64_t pa)
{
    uint64_t n = (pa - h->bus.ram_base) >> 12;
    return (h->code_bits[n >> 6] >> (n & 63)) & 1;
}

#endif
