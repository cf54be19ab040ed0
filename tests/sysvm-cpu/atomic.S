# A extension: LR/SC (success, failure without or after a broken reservation, sc to another address),
# every AMO in .w and .d forms with sign extension, and misaligned atomics trapping.
#include "test.h"
/* A misaligned AMO/SC raises an address-misaligned or access-fault exception (Lodge: store/AMO
 * address-misaligned, 6; QEMU 7.2 reports load address-misaligned, 4, for AMOs). */
.macro CHECK_MISALIGNED_AMO n
    li gp, \n
    li t4, 6
    beq s10, t4, 1f
    li t4, 7
    beq s10, t4, 1f
    li t4, 4
    bne s10, t4, fail
1:  li s10, -1
.endm
TEST_START
main:
    la s0, word
    li a0, 100
    sd a0, 0(s0)
    lr.d a1, (s0)
    CHECK 1, a1, 100
    addi a1, a1, 1
    sc.d a2, a1, (s0)
    CHECK 2, a2, 0
    ld a3, 0(s0)
    CHECK 3, a3, 101
    sc.d a2, a1, (s0)                 # no reservation any more
    CHECK 4, a2, 1
    addi s1, s0, 8                    # sc to another address than the reservation fails
    lr.w a1, (s0)
    sc.w a2, a1, (s1)
    CHECK 5, a2, 1
    li a0, 0xffffffff
    sw a0, 0(s0)
    lr.w a1, (s0)
    CHECK 6, a1, -1                   # lr.w sign-extends
    # AMOs .d
    li a0, 10
    sd a0, 0(s0)
    li a1, 5
    amoadd.d a2, a1, (s0)
    CHECK 7, a2, 10
    ld a3, 0(s0)
    CHECK 8, a3, 15
    amoswap.d a2, a1, (s0)
    CHECK 9, a2, 15
    ld a3, 0(s0)
    CHECK 10, a3, 5
    li a1, 0xc
    amoxor.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 11, a3, 9
    amoor.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 12, a3, 0xd
    li a1, 6
    amoand.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 13, a3, 4
    li a1, -3
    amomin.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 14, a3, -3
    li a1, 7
    amomax.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 15, a3, 7
    li a1, -1
    amominu.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 16, a3, 7
    amomaxu.d a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 17, a3, -1
    # AMOs .w: 32-bit, results sign-extended, upper word untouched
    li a0, 0x5555555580000000
    sd a0, 0(s0)
    li a1, 1
    amoadd.w a2, a1, (s0)
    CHECK 18, a2, 0xffffffff80000000
    ld a3, 0(s0)
    CHECK 19, a3, 0x5555555580000001
    li a1, 5
    amomin.w a2, a1, (s0)             # signed: 0x80000001 is negative, stays
    ld a3, 0(s0)
    CHECK 20, a3, 0x5555555580000001
    amominu.w a2, a1, (s0)            # unsigned: 5 is smaller
    ld a3, 0(s0)
    CHECK 21, a3, 0x5555555500000005
    li a1, -1
    amomax.w a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 22, a3, 0x5555555500000005
    amomaxu.w a2, a1, (s0)
    ld a3, 0(s0)
    CHECK 23, a3, 0x55555555ffffffff
    li a1, 0x0f0f0f0f
    amoand.w a2, a1, (s0)
    amoor.w a2, zero, (s0)
    CHECK 24, a2, 0x0f0f0f0f
    amoxor.w a2, a1, (s0)
    amoswap.w a2, a1, (s0)
    CHECK 25, a2, 0
    ld a3, 0(s0)
    CHECK 26, a3, 0x555555550f0f0f0f
    # misaligned atomics trap: LR load-misaligned (4), AMO/SC store-misaligned (6)
    addi s1, s0, 4
    li s10, -1
    lr.d a1, (s1)
    CHECK_MTRAP 27, 4
    amoadd.d a1, a1, (s1)
    CHECK_MISALIGNED_AMO 28
    li gp, 30
    bne s11, s1, fail                 # mtval = the address
    addi s1, s0, 2
    li a1, 5
    sc.w a1, a1, (s1)                 # traps (Lodge) or just fails without a reservation (QEMU)
    li t4, -1
    bne s10, t4, 2f
    CHECK 29, a1, 1
    j 3f
2:  CHECK_MISALIGNED_AMO 29
3:
    j pass
TEST_HANDLERS
.data
.align 4
word: .space 32
