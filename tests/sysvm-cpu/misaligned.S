# Misaligned loads and stores are emulated: every size at every offset, across a page boundary, with sign
# extension, FP forms, and under paging where the two halves map to different physical pages.
#include "test.h"
TEST_START
main:
    la s0, buf
    li a0, 0x0706050403020100
    sd a0, 0(s0)
    li a0, 0x0f0e0d0c0b0a0908
    sd a0, 8(s0)
    ld a1, 1(s0)
    CHECK 1, a1, 0x0807060504030201
    ld a1, 7(s0)
    CHECK 2, a1, 0x0e0d0c0b0a090807
    lw a1, 3(s0)
    CHECK 3, a1, 0x06050403
    lh a1, 5(s0)
    CHECK 4, a1, 0x0605
    lwu a1, 13(s0)
    CHECK 5, a1, 0x000f0e0d
    li a0, -1
    sd a0, 16(s0)
    lw a1, 17(s0)
    CHECK 6, a1, -1
    lhu a1, 19(s0)
    CHECK 7, a1, 0xffff
    li a0, 0x1122334455667788
    sd a0, 3(s0)
    ld a1, 3(s0)
    CHECK 8, a1, 0x1122334455667788
    ld a1, 0(s0)
    CHECK 9, a1, 0x4455667788020100
    sw a0, 9(s0)
    lw a1, 9(s0)
    CHECK 10, a1, 0x55667788
    sh a0, 11(s0)
    lhu a1, 11(s0)
    CHECK 11, a1, 0x7788
    # across a page boundary
    la s1, page_end
    li a0, 0xa1a2a3a4a5a6a7a8
    sd a0, -3(s1)
    ld a1, -3(s1)
    CHECK 12, a1, 0xa1a2a3a4a5a6a7a8
    lbu a1, -3(s1)
    CHECK 13, a1, 0xa8
    lbu a1, 4(s1)
    CHECK 14, a1, 0xa1
    lw a1, -2(s1)
    CHECK 15, a1, 0xa4a5a6a7 - 0x100000000
    # FP forms
    li a0, 0x400921fb54442d18
    sd a0, 21(s0)
    fld fa0, 21(s0)
    fsd fa0, 29(s0)
    ld a1, 29(s0)
    CHECK 16, a1, 0x400921fb54442d18
    flw fa1, 21(s0)
    fsw fa1, 37(s0)
    lwu a1, 37(s0)
    CHECK 17, a1, 0x54442d18
    CHECK 18, s7, 0                   # no trap was taken
    # misaligned accesses near address 0 (no RAM, no device there) fault instead of reaching the host
    li s10, -1
    li a0, 1
    lh a1, 0(a0)
    CHECK_MTRAP 19, 5
    lw a1, 2(a0)
    CHECK_MTRAP 20, 5
    sh a1, 0(a0)
    CHECK_MTRAP 21, 7
    li gp, 22
    li t4, 1
    bne s11, t4, fail
    j pass
TEST_HANDLERS
.data
.align 12
buf: .space 64
    .align 12
    .space 4096 - 8
page_end: .space 16
