# Exceptions and privilege: ecall causes per mode, ebreak, illegal instructions (mtval holds the word),
# medeleg delegation to S, MRET/SRET and the xPIE/xPP stacks, and the TSR, TVM and TW traps.
#include "test.h"
TEST_START
main:
    li s10, -1
    ecall
    CHECK_MTRAP 1, 11
    # MIE/MPIE/MPP across a trap and mret
    csrsi mstatus, MSTATUS_MIE
    ecall
    csrr a1, mstatus
    andi a2, a1, MSTATUS_MIE
    CHECK 2, a2, MSTATUS_MIE
    li a3, MSTATUS_MPP
    and a2, a1, a3
    CHECK 3, a2, 0                      # mret leaves MPP = U
    csrci mstatus, MSTATUS_MIE
    # illegal encodings: mtval = the instruction word
    .word 0xffffffff
    CHECK_MTRAP 4, 2
    li t4, 0xffffffff
    li gp, 5
    bne s11, t4, fail
    .word 0
    CHECK_MTRAP 6, 2
    ebreak
    CHECK_MTRAP 7, 3
    # mepc of an ecall is the ecall itself
    la a0, 1f
1:  ecall
    csrr a1, mepc
    addi a1, a1, -4
    li gp, 8
    bne a0, a1, fail
    TO_S in_s
in_s:
    li s10, -1
    ecall
    CHECK_MTRAP 10, 9
    csrr a1, mstatus                    # M-mode CSR from S
    CHECK_MTRAP 11, 2
    mret
    CHECK_MTRAP 12, 2
    csrr a1, sstatus                    # fine in S
    li gp, 13
    li t4, -1
    bne s10, t4, fail
    TO_M back_in_m
back_in_m:
    CHECK_MTRAP 14, 3                   # TO_M arrived by ebreak
    csrr a1, mstatus
    li a2, MSTATUS_MPP
    and a1, a1, a2
    CHECK 15, a1, 0
    # TSR, TVM, TW
    li t0, MSTATUS_TSR | MSTATUS_TVM | MSTATUS_TW
    csrs mstatus, t0
    TO_S in_s2
in_s2:
    li s10, -1
    sret
    CHECK_MTRAP 20, 2
    sfence.vma
    CHECK_MTRAP 21, 2
    csrr a1, satp
    CHECK_MTRAP 22, 2
    wfi
    CHECK_MTRAP 23, 2
    TO_M m3
m3:
    li t0, MSTATUS_TSR | MSTATUS_TVM | MSTATUS_TW
    csrc mstatus, t0
    # delegation: ecall-from-U and illegal go to S; ebreak stays in M
    la t0, s_trap
    csrw stvec, t0
    li t0, (1 << 8) | (1 << 2)
    csrw medeleg, t0
    li s8, -1
    li s10, -1
    TO_U in_u
in_u:
    ecall
    CHECK_STRAP 30, 8
    csrr a1, sstatus                    # S CSR from U: illegal, delegated
    CHECK_STRAP 31, 2
    li gp, 32
    li t4, -1
    bne s10, t4, fail                   # M saw nothing
    wfi                                 # U-mode wfi is illegal
    CHECK_STRAP 33, 2
    TO_M m4
m4:
    CHECK_MTRAP 34, 3
    csrr a1, scause
    CHECK 35, a1, 2
    csrr a1, sepc
    la a2, m4
    li gp, 36
    bgeu a1, a2, fail                   # sepc points into the U code, before m4
    # SPP and SPIE after a delegated trap from S, and sret restoring them
    li t0, (1 << 9)                     # delegate ecall-from-S
    csrs medeleg, t0
    TO_S in_s3
in_s3:
    csrsi sstatus, MSTATUS_SIE
    ecall
    CHECK_STRAP 40, 9
    csrr a1, sstatus
    andi a2, a1, MSTATUS_SIE
    CHECK 41, a2, MSTATUS_SIE           # sret restored SIE from SPIE
    andi a2, a1, MSTATUS_SPP
    CHECK 42, a2, 0                     # sret leaves SPP = U
    csrci sstatus, MSTATUS_SIE
    TO_M m5
m5:
    csrw medeleg, zero
    j pass
TEST_HANDLERS
