# Interrupts: lines raised through the harness (hart_set_mip), global and per-source enables, priority
# order, vectored mtvec, mideleg delegation to S, M interrupts preempting S regardless of MIE, the CLINT-like
# timer and software interrupt, and WFI waking on a pending interrupt even with interrupts disabled.
# qemu: no (raises interrupt lines through the harness's own device)
#include "test.h"
#define MEIP (1 << 11)
#define SEIP (1 << 9)
#define MTIP (1 << 7)
#define MSIP_BIT (1 << 3)
.macro RAISE mask
    li t0, IRQ_SET
    li t1, \mask
    sw t1, 0(t0)
.endm
.macro LOWER mask
    li t0, IRQ_CLR
    li t1, \mask
    sw t1, 0(t0)
.endm
TEST_START
main:
    # 1: external interrupt taken when enabled
    li s10, -1
    li t0, MEIP
    csrw mie, t0
    csrsi mstatus, MSTATUS_MIE
    RAISE MEIP
    nop
    li t4, 0x800000000000000b
    li gp, 1
    bne s10, t4, fail
    LOWER MEIP
    # 2: pending but MIE off: not taken; taken right after MIE is set
    csrci mstatus, MSTATUS_MIE
    li s10, -1
    li t0, MEIP
    csrw mie, t0
    RAISE MEIP
    nop
    CHECK 2, s10, -1
    csrr a1, mip
    li t0, MEIP
    and a1, a1, t0
    CHECK 3, a1, MEIP
    csrsi mstatus, MSTATUS_MIE
    li t4, 0x800000000000000b
    li gp, 4
    bne s10, t4, fail
    csrci mstatus, MSTATUS_MIE
    # 5: priority MEI > MSI > MTI
    li t0, MSIP
    li t1, 1
    sw t1, 0(t0)
    li t0, MTIMECMP
    sd zero, 0(t0)                    # mtime >= 0: MTIP
    li t0, MEIP | MSIP_BIT | MTIP
    csrw mie, t0
    li s10, -1
    csrsi mstatus, MSTATUS_MIE
    li t4, 0x800000000000000b
    li gp, 5
    bne s10, t4, fail
    LOWER MEIP
    li t0, MEIP | MSIP_BIT | MTIP
    csrw mie, t0
    csrsi mstatus, MSTATUS_MIE
    li t4, 0x8000000000000003
    li gp, 6
    bne s10, t4, fail
    li t0, MSIP
    sw zero, 0(t0)
    li gp, 7
    # 7: vectored mtvec: the timer goes to base + 4 * 7
    la t0, vectors
    ori t0, t0, 1
    csrw mtvec, t0
    li a5, 0
    li t0, MTIP
    csrw mie, t0
    csrsi mstatus, MSTATUS_MIE
    CHECK 7, a5, 7
    la t0, m_trap
    csrw mtvec, t0
    li t0, MTIMECMP
    li t1, -1
    sd t1, 0(t0)                      # timer off
    csrr a1, mip
    andi a1, a1, MTIP
    CHECK 8, a1, 0
    # 9: delegated SEIP goes to S
    la t0, s_trap
    csrw stvec, t0
    li t0, SEIP
    csrw mideleg, t0
    csrw mie, t0
    li s8, -1
    TO_S in_s
in_s:
    csrsi sstatus, MSTATUS_SIE
    RAISE SEIP
    nop
    li t4, 0x8000000000000009
    li gp, 9
    bne s8, t4, fail
    LOWER SEIP
    # 10: an M interrupt preempts S even with SIE and MIE clear
    csrci sstatus, MSTATUS_SIE
    li s10, -1
    RAISE MEIP
    nop
    CHECK 10, s10, -1                 # mie.MEIE is off: nothing yet
    TO_M in_m
in_m:
    csrci mstatus, MSTATUS_MIE
    li t0, MEIP
    csrw mie, t0
    li s10, -1
    TO_S in_s2
in_s2:
    nop
    li t4, 0x800000000000000b
    li gp, 11
    bne s10, t4, fail
    LOWER MEIP
    TO_M in_m2
in_m2:
    # 12: a delegated interrupt is not taken in M
    li t0, SEIP
    csrw mie, t0
    csrsi mstatus, MSTATUS_MIE
    li s10, -1
    li s8, -1
    RAISE SEIP
    nop
    CHECK 12, s10, -1
    CHECK 13, s8, -1
    LOWER SEIP
    csrci mstatus, MSTATUS_MIE
    csrw mideleg, zero
    # 14: WFI with interrupts globally off wakes when the timer fires, without trapping
    li t0, MTIME
    ld t1, 0(t0)
    li t2, 5000
    add t1, t1, t2
    li t0, MTIMECMP
    sd t1, 0(t0)
    li t0, MTIP
    csrw mie, t0
    li s10, -1
    wfi
    csrr a1, mip
    andi a1, a1, MTIP
    CHECK 14, a1, MTIP
    CHECK 15, s10, -1
    li t0, MTIMECMP
    li t1, -1
    sd t1, 0(t0)
    csrw mie, zero
    # 16: software interrupt delivered to S through mideleg SSIP, raised by writing sip
    li t0, 2
    csrw mideleg, t0
    csrw mie, t0
    li s8, -1
    TO_S in_s3
in_s3:
    csrsi sstatus, MSTATUS_SIE
    csrsi sip, 2
    nop
    li t4, 0x8000000000000001
    li gp, 16
    bne s8, t4, fail
    csrci sip, 2
    TO_M done
done:
    j pass

    .align 6
    .option push
    .option norvc                     # 4-byte entries
vectors:
    .rept 7
    j fail
    .endr
    j timer_vec
    .rept 8
    j fail
    .endr
    .option pop
timer_vec:
    li a5, 7
    csrw mie, zero
    mret
TEST_HANDLERS
