# RV64I: ALU, immediates, shifts, 32-bit (W) forms, compares, branches, jumps, lui/auipc, loads and stores
# with sign and zero extension, x0 stays zero.
#include "test.h"
TEST_START
main:
    li a0, 0x7fffffffffffffff
    addi a1, a0, 1
    CHECK 1, a1, 0x8000000000000000
    li a0, -5
    addi a1, a0, 3
    CHECK 2, a1, -2
    li a0, 0x123456789abcdef0
    li a2, 0x0fedcba987654321
    add a1, a0, a2
    CHECK 3, a1, 0x2222222222222211
    sub a1, a0, a2
    CHECK 4, a1, 0x02468acf13579bcf
    xor a1, a0, a2
    CHECK 5, a1, 0x1dd99dd11dd99dd1
    or a1, a0, a2
    CHECK 6, a1, 0x1ffddff99ffddff1
    and a1, a0, a2
    CHECK 7, a1, 0x0224422882244220
    andi a1, a0, -16
    CHECK 8, a1, 0x123456789abcdef0
    ori a1, zero, -1
    CHECK 9, a1, -1
    xori a1, a0, -1
    CHECK 10, a1, 0xedcba9876543210f
    # shifts
    li a0, 0x8000000000000001
    slli a1, a0, 63
    CHECK 11, a1, 0x8000000000000000
    srli a1, a0, 63
    CHECK 12, a1, 1
    srai a1, a0, 63
    CHECK 13, a1, -1
    li a2, 67                        # only the low 6 bits count
    sll a1, a0, a2
    CHECK 14, a1, 0x0000000000000008
    srl a1, a0, a2
    CHECK 15, a1, 0x1000000000000000
    sra a1, a0, a2
    CHECK 16, a1, 0xf000000000000000
    # compares
    li a0, -1
    li a2, 1
    slt a1, a0, a2
    CHECK 17, a1, 1
    sltu a1, a0, a2
    CHECK 18, a1, 0
    slti a1, a0, 0
    CHECK 19, a1, 1
    sltiu a1, a2, -1                 # immediate sign-extended, then unsigned
    CHECK 20, a1, 1
    # W forms sign-extend 32-bit results
    li a0, 0x7fffffff
    addiw a1, a0, 1
    CHECK 21, a1, 0xffffffff80000000
    li a0, 0xffffffff00000005
    addw a1, a0, a0
    CHECK 22, a1, 10
    subw a1, zero, a0
    CHECK 23, a1, -5
    li a0, 1
    slliw a1, a0, 31
    CHECK 24, a1, 0xffffffff80000000
    li a0, 0x80000000
    srliw a1, a0, 4
    CHECK 25, a1, 0x08000000
    sraiw a1, a0, 4
    CHECK 26, a1, 0xfffffffff8000000
    li a2, 36                        # only the low 5 bits count for W shifts
    sllw a1, a0, a2
    CHECK 27, a1, 0
    srlw a1, a0, a2
    CHECK 28, a1, 0x08000000
    sraw a1, a0, a2
    CHECK 29, a1, 0xfffffffff8000000
    # lui / auipc
    lui a1, 0x80000
    CHECK 30, a1, 0xffffffff80000000
1:  auipc a1, 0
    la a2, 1b
    li gp, 31
    bne a1, a2, fail
    # x0
    li x0, 5
    addi a1, x0, 0
    CHECK 32, a1, 0
    # branches, taken and not taken
    li a0, -1
    li a2, 1
    li gp, 33
    beq a0, a2, fail
    bne a0, a0, fail
    blt a2, a0, fail
    bge a0, a2, fail
    bltu a0, a2, fail
    bgeu a2, a0, fail
    li a1, 0
    blt a0, a2, 2f
    j fail
2:  bltu a2, a0, 3f
    j fail
3:  bge a2, a0, 4f
    j fail
4:  bgeu a0, a2, 5f
    j fail
5:  beq a0, a0, 6f
    j fail
6:  bne a0, a2, 7f
    j fail
7:  # jal / jalr link and target, jalr clears bit 0
    jal ra, 8f
9:  j 10f
8:  la a1, 9b
    li gp, 34
    bne ra, a1, fail
    la a0, 11f
    addi a0, a0, 1
    jalr a2, 0(a0)
    j fail
11: la a1, 11b
    li gp, 35
    bne a1, a1, fail
    jalr zero, 0(ra)
10: # loads and stores
    la a0, data
    li a1, 0x8081828384858687
    sd a1, 0(a0)
    lb a2, 0(a0)
    CHECK 40, a2, 0xffffffffffffff87
    lbu a2, 0(a0)
    CHECK 41, a2, 0x87
    lh a2, 6(a0)
    CHECK 42, a2, 0xffffffffffff8081
    lhu a2, 6(a0)
    CHECK 43, a2, 0x8081
    lw a2, 4(a0)
    CHECK 44, a2, 0xffffffff80818283
    lwu a2, 4(a0)
    CHECK 45, a2, 0x80818283
    ld a2, 0(a0)
    CHECK 46, a2, 0x8081828384858687
    sb zero, 1(a0)
    sh zero, 2(a0)
    ld a2, 0(a0)
    CHECK 47, a2, 0x8081828300000087
    sw zero, 4(a0)
    ld a2, 0(a0)
    CHECK 48, a2, 0x87
    li a1, -1
    sd a1, 8(a0)
    ld a2, 8(a0)
    CHECK 49, a2, -1
    lw a2, -4(a0)                       # negative offsets
    la a3, data - 4
    lw a3, 0(a3)
    li gp, 50
    bne a2, a3, fail
    # a long loop crosses many dispatch slices
    li a0, 0
    li a1, 300000
12: addi a0, a0, 3
    addi a1, a1, -1
    bnez a1, 12b
    CHECK 51, a0, 900000
    j pass
TEST_HANDLERS
.data
.align 3
    .dword 0x1122334455667788
data: .space 64
