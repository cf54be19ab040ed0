/* Shared macros of the hart's bare-metal tests: start-up, pass/fail through the harness's finisher, checks,
 * and default trap handlers that record the cause and skip the trapping (4-byte) instruction.
 * Register use: gp = current check number, s10/s11 = last M-mode trap mcause/mtval, s8/s9 = last S-mode
 * trap scause/stval, s7 = count of traps taken. Tests keep these free. */
#define FINISHER 0x100000
#define IRQ_SET  0x2100000
#define IRQ_CLR  0x2100008
#define MTIMECMP 0x2004000
#define MTIME    0x200bff8
#define MSIP     0x2000000

#define MSTATUS_SIE  (1 << 1)
#define MSTATUS_MIE  (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP  (1 << 8)
#define MSTATUS_MPP  (3 << 11)
#define MSTATUS_FS   (3 << 13)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM  (1 << 18)
#define MSTATUS_MXR  (1 << 19)
#define MSTATUS_TVM  (1 << 20)
#define MSTATUS_TW   (1 << 21)
#define MSTATUS_TSR  (1 << 22)

/* Start: stack, default trap vector, FP on, one PMP region granting S and U all memory (as firmware does;
 * Lodge's hart does not enforce PMP, QEMU's does), then jump to `main`. */
#define TEST_START \
    .section .text.init; .globl _start; _start: \
    la sp, stack_top; la t0, m_trap; csrw mtvec, t0; \
    li t0, -1; csrw pmpaddr0, t0; li t0, 0x1f; csrw pmpcfg0, t0; \
    li t0, MSTATUS_FS; csrs mstatus, t0; li s7, 0; li gp, 0; j main

/* Default handlers: record, skip a 4-byte instruction (interrupts: record, mask, return). */
#define TEST_HANDLERS \
    .align 2; m_trap: \
    csrr s10, mcause; csrr s11, mtval; addi s7, s7, 1; \
    bltz s10, 1f; li t6, 93; beq a7, t6, 4f; li t6, 94; beq a7, t6, 5f; \
    csrr t6, mepc; addi t6, t6, 4; csrw mepc, t6; mret; \
    1: csrw mie, zero; mret; \
    4: li t6, MSTATUS_MPP; csrs mstatus, t6; 5: csrw mepc, a6; li a7, 0; mret; \
    .align 2; s_trap: \
    csrr s8, scause; csrr s9, stval; addi s7, s7, 1; \
    bltz s8, 1f; csrr t6, sepc; addi t6, t6, 4; csrw sepc, t6; sret; \
    1: csrw sie, zero; sret; \
    pass: li t6, FINISHER; li t5, 0x5555; sw t5, 0(t6); 2: j 2b; \
    fail: li t6, FINISHER; slli t5, gp, 16; li t4, 0x3333; or t5, t5, t4; sw t5, 0(t6); 3: j 3b; \
    .bss; .align 4; .space 8192; stack_top: .text

/* Switch privilege: TO_M from any mode (via ebreak, which must not be delegated), TO_S/TO_U from M.
 * RESUME_AT label: the next synchronous trap to M returns to label in the same mode (for fetch faults). */
.macro TO_M label
    la a6, \label
    li a7, 93
    ebreak
.endm
.macro TO_S label
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, (1 << 11)
    csrs mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm
.macro TO_U label
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm
.macro RESUME_AT label
    la a6, \label
    li a7, 94
.endm

/* CHECK n, reg, value: check number n, reg must equal value. */
.macro CHECK n, reg, val
    li gp, \n
    li t4, \val
    bne \reg, t4, fail
.endm
/* Expect the last M-mode trap to have had this cause (and clear the record). */
.macro CHECK_MTRAP n, cause
    li gp, \n
    li t4, \cause
    bne s10, t4, fail
    li s10, -1
.endm
.macro CHECK_STRAP n, cause
    li gp, \n
    li t4, \cause
    bne s8, t4, fail
    li s8, -1
.endm
