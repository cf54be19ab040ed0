# M extension: products (low, high signed/unsigned/mixed), division and remainder including division by zero
# and signed overflow, and the 32-bit W forms.
#include "test.h"
TEST_START
main:
    li a0, 0x9abcdef012345678
    li a1, 0x0fedcba987654321
    mul a2, a0, a1
    CHECK 1, a2, 0x8938972d70b88d78
    mulh a2, a0, a1
    CHECK 2, a2, 0xf9b3015b2b3b01f7
    mulhu a2, a0, a1
    CHECK 3, a2, 0x09a0cd04b2a04518
    mulhsu a2, a0, a1
    CHECK 4, a2, 0xf9b3015b2b3b01f7
    li a3, -1
    mulhsu a2, a3, a3                 # -1 * (2^64-1) = -(2^64-1): high word -1
    CHECK 5, a2, -1
    mulhu a2, a3, a3
    CHECK 6, a2, 0xfffffffffffffffe
    div a2, a0, a1
    CHECK 7, a2, 0xfffffffffffffffa
    rem a2, a0, a1
    CHECK 8, a2, 0xfa4fa4e93e93e93e
    divu a2, a0, a1
    CHECK 9, a2, 9
    remu a2, a0, a1
    CHECK 10, a2, 0x0b60b5fa4fa4fa4f
    # division by zero
    div a2, a0, zero
    CHECK 11, a2, -1
    divu a2, a0, zero
    CHECK 12, a2, -1
    rem a2, a0, zero
    CHECK 13, a2, 0x9abcdef012345678
    remu a2, a0, zero
    CHECK 14, a2, 0x9abcdef012345678
    # overflow
    li a4, 0x8000000000000000
    div a2, a4, a3
    CHECK 15, a2, 0x8000000000000000
    rem a2, a4, a3
    CHECK 16, a2, 0
    # W forms
    li a0, 0x12345678
    li a1, -13
    mulw a2, a0, a1
    CHECK 17, a2, 0x13579be8
    li a0, -7
    li a1, 2
    divw a2, a0, a1
    CHECK 18, a2, -3
    remw a2, a0, a1
    CHECK 19, a2, -1
    divuw a2, a0, a1                  # 0xfffffff9 / 2 = 0x7ffffffc
    CHECK 20, a2, 0x7ffffffc
    remuw a2, a0, a1
    CHECK 21, a2, 1
    divw a2, a0, zero
    CHECK 22, a2, -1
    remw a2, a0, zero
    CHECK 23, a2, -7
    divuw a2, a0, zero
    CHECK 24, a2, -1
    remuw a2, a0, zero
    CHECK 25, a2, -7
    li a4, 0x80000000
    li a3, -1
    divw a2, a4, a3
    CHECK 26, a2, 0xffffffff80000000
    remw a2, a4, a3
    CHECK 27, a2, 0
    li a0, 0xffffffff00000006     # upper bits ignored by W forms
    li a1, 0x0000000500000004
    mulw a2, a0, a1
    CHECK 28, a2, 24
    j pass
TEST_HANDLERS
