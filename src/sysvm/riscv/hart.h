/* The RV64GC hart as the machine sees it: the bus it is given, its life cycle, its registers, the run call,
 * interrupt lines and trace counters. Everything inside the hart (decoder, interpreter, MMU) stays private. */
#ifndef LODGE_SYSVM_RISCV_HART_H
#define LODGE_SYSVM_RISCV_HART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

/* mip / mie bits (privileged spec, 3.1.9). */
#define MIP_SSIP (1ull << 1)
#define MIP_MSIP (1ull << 3)
#define MIP_STIP (1ull << 5)
#define MIP_MTIP (1ull << 7)
#define MIP_SEIP (1ull << 9)
#define MIP_MEIP (1ull << 11)

/* Privilege levels as hart_set_priv takes them. */
#define HART_PRIV_U 0
#define HART_PRIV_S 1
#define HART_PRIV_M 3

typedef struct Hart Hart;

/* What the machine gives a hart. Physical RAM is one contiguous host buffer; everything else is MMIO. */
typedef struct HartBus {
    void *opaque;                        /* the machine */
    uint8_t *ram;                        /* host pointer of guest physical address ram_base */
    uint64_t ram_base, ram_size;         /* the virt board: ram_base = 0x80000000 */
    /* Loads/stores outside RAM (size 1,2,4,8; naturally aligned). Return false for an access fault. */
    bool (*mmio_read)(void *opaque, uint64_t paddr, unsigned size, uint64_t *val);
    bool (*mmio_write)(void *opaque, uint64_t paddr, unsigned size, uint64_t val);
    /* The `time` CSR and mtime: ticks of a 10 MHz clock (timebase-frequency 10000000 in the device tree). */
    uint64_t (*get_time)(void *opaque);
    /* ECALL from S-mode when the machine provides the SBI itself (no --bios): the machine implements it in
     * src/sysvm/riscv/sbi.c on the hart's registers (a0-a7, via hart_get_reg/hart_set_reg) and returns true;
     * the hart then skips the ecall (pc += 4). NULL, or returning false, means: take the ecall trap
     * normally (to M-mode firmware such as OpenSBI loaded with --bios). */
    bool (*sbi_ecall)(void *opaque, Hart *hart);
    Alloc *alloc;                        /* the machine's accounted allocator for the hart's own memory; may be NULL */
} HartBus;

/* Trap and interrupt counts for `--trace`. exc[c] counts synchronous exceptions of cause c (0..15),
 * irq[c] interrupts of cause c (0..15). */
typedef struct HartStats {
    uint64_t exc[16];
    uint64_t irq[16];
    uint64_t instret;                    /* instructions retired */
    uint64_t tlb_miss;                   /* page-table walks */
    uint64_t sbi_calls;                  /* ecalls handled by bus->sbi_ecall */
    uint64_t code_evictions;             /* decoded pages dropped to make room (decode cache pressure) */
} HartStats;

/* The bus is copied; bus->ram must outlive the hart. Returns NULL when out of memory. */
Hart *hart_new(const HartBus *bus, uint32_t hartid);
void hart_delete(Hart *h);
void hart_reset(Hart *h, uint64_t pc);                    /* M-mode, pc, all else per reset */
/* With SBI provided by Lodge the machine starts the kernel in S-mode: */
void hart_set_priv(Hart *h, int priv);                    /* 0 = U, 1 = S, 3 = M */
uint64_t hart_get_reg(const Hart *h, int reg);            /* x0..x31 */
void hart_set_reg(Hart *h, int reg, uint64_t val);
uint64_t hart_get_pc(const Hart *h);
void hart_set_pc(Hart *h, uint64_t pc);
/* Run up to max_insns instructions; returns how many ran. Returns early when the hart executes WFI with
 * no pending-and-enabled interrupt (it is then idle: hart_is_idle() is true until an interrupt is pending). */
uint64_t hart_run(Hart *h, uint64_t max_insns);
/* (Straight-line code is counted at branches, so a slice may run up to a page of instructions, at most 2048,
 * past max_insns; for max_insns <= 64 the count is exact, so hart_run(h, 1) single-steps. The slice also ends
 * after a PAUSE hint when the hart has peers, and the LR reservation is dropped at the start of each slice.) */
bool hart_is_idle(const Hart *h);
/* Interrupt lines driven by devices: set or clear bits of mip (MIP_MSIP, MIP_MTIP, MIP_MEIP, MIP_SEIP,
 * MIP_SSIP, MIP_STIP as in the privileged spec). With Lodge's SBI, the timer sets STIP directly. */
void hart_set_mip(Hart *h, uint64_t mask, bool level);
uint64_t hart_get_mip(const Hart *h);
/* A device wrote guest RAM by DMA: drop any decoded code for that range. */
void hart_invalidate_code(Hart *h, uint64_t paddr, uint64_t len);
/* Stop a hart (SBI HSM hart_stop) / make a stopped hart start at pc in S-mode with a0=hartid, a1=opaque. */
void hart_set_stopped(Hart *h, bool stopped);
bool hart_is_stopped(const Hart *h);

/* Trace counters; cheap, any time between hart_run calls. */
void hart_stats(const Hart *h, HartStats *out);
uint32_t hart_id(const Hart *h);
/* A store by another hart of the same machine to paddr: breaks this hart's LR reservation if it covers it.
 * The machine calls it only when it runs several harts; a hart's own stores need nothing. */
void hart_snoop_store(Hart *h, uint64_t paddr);
/* The machine links the harts of one machine (peers = all of them, this one included) so that a store on one
 * invalidates the others' decoded code (all harts share RAM). peers is borrowed and must outlive the harts. */
void hart_set_peers(Hart *h, Hart *const *peers, unsigned n);
/* CSR access for the machine's SBI and debugging (csr = the 12-bit number). Returns false if no such CSR. */
bool hart_get_csr(const Hart *h, unsigned csr, uint64_t *val);
bool hart_set_csr(Hart *h, unsigned csr, uint64_t val);

/* Drop every cached translation of the hart, as sfence.vma x0, x0 does (SBI RFENCE on another hart). Remote
 * fence.i needs nothing: stores to decoded code already invalidate it on every hart linked by hart_set_peers. */
void hart_flush_tlb(Hart *h);

/* Disassemble one instruction (16- or 32-bit, low bits decide) into buf; returns its length, 2 or 4. */
int riscv_disasm(uint32_t insn, uint64_t pc, char *buf, size_t n);

#endif
