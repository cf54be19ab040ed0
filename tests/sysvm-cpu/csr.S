# Zicsr and the machine CSRs: read/set/clear forms and their immediates, rd = x0 and rs1 = x0 rules,
# misa/mhartid/mvendorid, WARL masks of mstatus/mtvec/medeleg/mideleg/mie, read-only and absent CSRs
# trapping, S-mode views sstatus/sie/sip, counters counting, fcsr composition, satp modes.
# qemu: no (misa, WARL masks and counter details are Lodge's own choices)
#include "test.h"
TEST_START
main:
    li a0, 0x1234
    csrw mscratch, a0
    csrr a1, mscratch
    CHECK 1, a1, 0x1234
    li a2, 0xf0000
    csrrs a1, mscratch, a2
    CHECK 2, a1, 0x1234
    csrr a1, mscratch
    CHECK 3, a1, 0xf1234
    csrrc a1, mscratch, a2
    csrr a1, mscratch
    CHECK 4, a1, 0x1234
    csrrwi a1, mscratch, 7
    CHECK 5, a1, 0x1234
    csrrsi a1, mscratch, 8
    csrrci a1, mscratch, 3
    csrr a1, mscratch
    CHECK 6, a1, 0xc
    csrr a1, misa
    li a2, 0x800000000014112d           # RV64 ACDFIMSU
    li gp, 7
    bne a1, a2, fail
    csrr a1, mhartid
    CHECK 8, a1, 0
    csrr a1, mvendorid
    CHECK 9, a1, 0
    # mstatus: UXL/SXL read 64-bit, MPP=2 is not kept, SD follows FS
    csrr a1, mstatus
    srli a2, a1, 32
    andi a2, a2, 0xf
    CHECK 10, a2, 0xa
    li a0, MSTATUS_MPP
    csrc mstatus, a0
    li a0, (2 << 11)
    csrs mstatus, a0
    csrr a1, mstatus
    li a3, MSTATUS_MPP
    and a1, a1, a3
    li gp, 11
    li a3, (2 << 11)
    beq a1, a3, fail
    csrr a1, mstatus
    CHECK 12, a1, 0x8000000a00006000 | 0    # SD, UXL/SXL, FS=dirty (test start), MPP cleared
    # medeleg/mideleg masks
    li a0, -1
    csrw medeleg, a0
    csrr a1, medeleg
    CHECK 13, a1, 0xb3ff
    csrw mideleg, a0
    csrr a1, mideleg
    CHECK 14, a1, 0x222
    csrw mie, a0
    csrr a1, mie
    CHECK 15, a1, 0xaaa
    csrr a1, sie
    CHECK 16, a1, 0x222
    csrw sie, zero
    csrr a1, mie
    CHECK 17, a1, 0x888
    csrw mie, zero
    # mtvec: mode 2/3 not kept
    li a0, 0x80001003
    csrw mtvec, a0
    csrr a1, mtvec
    la t0, m_trap
    csrw mtvec, t0
    CHECK 18, a1, 0x80001001
    # sstatus is a view of mstatus
    li a0, MSTATUS_SUM
    csrs sstatus, a0
    csrr a1, mstatus
    and a1, a1, a0
    CHECK 19, a1, MSTATUS_SUM
    csrc mstatus, a0
    li a0, MSTATUS_MIE
    csrs sstatus, a0                   # MIE is not visible through sstatus
    csrr a1, mstatus
    andi a1, a1, MSTATUS_MIE
    CHECK 20, a1, 0
    # sip: only SSIP writable, only delegated bits visible
    li a0, 0x222
    csrw mideleg, a0
    csrw sip, 2
    csrr a1, mip
    CHECK 21, a1, 2
    csrw mip, zero
    csrw mideleg, zero
    # read-only and absent CSRs trap as illegal instructions
    li s10, -1
    csrw mhartid, a0
    CHECK_MTRAP 22, 2
    csrw 0x7c0, a0                     # custom, absent
    CHECK_MTRAP 23, 2
    csrr a1, 0x3a1                     # pmpcfg1 does not exist on RV64
    CHECK_MTRAP 24, 2
    csrr a1, mhartid                   # reads of read-only CSRs are fine
    li gp, 25
    bne s10, a0, 1f
1:  li t4, -1
    bne s10, t4, fail
    # counters move
    csrr a1, minstret
    nop
    nop
    csrr a2, minstret
    sub a3, a2, a1
    CHECK 26, a3, 3
    csrr a1, cycle
    csrr a2, cycle
    li gp, 27
    bgeu a1, a2, fail
    li a0, 1000
    csrw minstret, a0
    csrr a1, minstret
    CHECK 28, a1, 1000
    # fcsr = frm << 5 | fflags
    csrw fcsr, zero
    csrwi frm, 3
    csrwi fflags, 0x15
    csrr a1, fcsr
    CHECK 29, a1, 0x75
    csrw fcsr, zero
    # satp: unsupported modes leave it unchanged; Sv39 and Sv48 stick
    li a0, (8 << 60) | 0x80010
    csrw satp, a0
    csrr a1, satp
    CHECK 30, a1, (8 << 60) | 0x80010
    li a0, (10 << 60) | 0x1234         # Sv57: not supported
    csrw satp, a0
    csrr a1, satp
    CHECK 31, a1, (8 << 60) | 0x80010
    li a0, (9 << 60) | 0x80020
    csrw satp, a0
    csrr a1, satp
    CHECK 32, a1, (9 << 60) | 0x80020
    csrw satp, zero
    # FP CSRs trap when mstatus.FS is off
    li a0, MSTATUS_FS
    csrc mstatus, a0
    csrr a1, fcsr
    CHECK_MTRAP 33, 2
    li a0, MSTATUS_FS
    csrs mstatus, a0
    j pass
TEST_HANDLERS
