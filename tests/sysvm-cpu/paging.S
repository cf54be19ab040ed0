# Sv39 and Sv48: page walks over gigapages, megapages and 4 KiB pages; A and D set by the walker;
# R/W/X/U permissions, SUM and MXR; invalid, reserved (W without R) and misaligned-superpage PTEs; fetch
# faults; sfence.vma by address (4 KiB and inside a superpage) and in full; MPRV; U-mode code on a U page;
# non-canonical addresses; the same tables under Sv48.
#include "test.h"
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define VA(i) (0xC0000000 + (i) * 4096)

# PTE for a page (label) in table (label) slot idx.
.macro MAP table, idx, target, flags
    la t0, \target
    srli t0, t0, 12
    slli t0, t0, 10
    ori t0, t0, \flags
    la t1, \table
    sd t0, (\idx * 8)(t1)
.endm
# Leaf for a fixed physical address.
.macro MAPPA table, idx, pa, flags
    li t0, \pa
    srli t0, t0, 12
    slli t0, t0, 10
    ori t0, t0, \flags
    la t1, \table
    sd t0, (\idx * 8)(t1)
.endm

TEST_START
main:
    MAPPA pt2, 0, 0x00000000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D                  # MMIO
    MAPPA pt2, 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D          # kernel
    MAP pt2, 3, pt1, PTE_V
    MAP pt1, 0, pt0, PTE_V
    MAP pt1, 1, pageA, PTE_V | PTE_R | PTE_A                    # misaligned megapage
    MAPPA pt1, 2, 0x80000000, PTE_V | PTE_R | PTE_A             # megapage at 0xC0400000
    MAP pt0, 0, pageA, PTE_V | PTE_R | PTE_W
    MAP pt0, 1, pageA, PTE_V | PTE_R | PTE_A
    MAP pt0, 2, pageA, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
    MAP pt0, 3, pageA, PTE_V | PTE_X | PTE_A
    MAP pt0, 5, pageA, PTE_V | PTE_W | PTE_A
    MAP pt0, 6, pageB, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    MAP pt0, 7, ucode, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
    MAP pt0, 9, ucode, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
    MAP pt48, 0, pt2, PTE_V
    la t0, pt2
    srli t0, t0, 12
    li t1, 8 << 60
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    li s10, -1
    TO_S s_main
s_main:
    # 1-3: a read sets A only; a write sets D
    li s2, VA(0)
    ld a1, 0(s2)
    CHECK 1, a1, 0x1111
    la s3, pt0
    ld a1, 0(s3)
    andi a1, a1, PTE_A | PTE_D
    CHECK 2, a1, PTE_A
    li a0, 0x1112
    sd a0, 0(s2)
    ld a1, 0(s3)
    andi a1, a1, PTE_A | PTE_D
    CHECK 3, a1, PTE_A | PTE_D
    la a2, pageA
    ld a1, 0(a2)
    CHECK 4, a1, 0x1112
    # 5: store to a read-only page
    li s2, VA(1)
    ld a1, 0(s2)
    CHECK 5, a1, 0x1112
    sd a0, 0(s2)
    CHECK_MTRAP 6, 15
    li gp, 7
    bne s11, s2, fail
    # 8: U page from S: only with SUM
    li s2, VA(2)
    ld a1, 0(s2)
    CHECK_MTRAP 8, 13
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    ld a1, 0(s2)
    CHECK 9, a1, 0x1112
    CHECK 10, s10, -1
    csrc sstatus, t0
    ld a1, 0(s2)
    CHECK_MTRAP 11, 13
    # 12: execute-only page readable only with MXR
    li s2, VA(3)
    ld a1, 0(s2)
    CHECK_MTRAP 12, 13
    li t0, MSTATUS_MXR
    csrs sstatus, t0
    ld a1, 0(s2)
    CHECK 13, a1, 0x1112
    csrc sstatus, t0
    ld a1, 0(s2)
    CHECK_MTRAP 14, 13
    # 15: invalid, W-without-R, misaligned megapage, non-canonical
    li s2, VA(4)
    ld a1, 0(s2)
    CHECK_MTRAP 15, 13
    sd a1, 0(s2)
    CHECK_MTRAP 16, 15
    li s2, VA(5)
    ld a1, 0(s2)
    CHECK_MTRAP 17, 13
    li s2, 0xC0200000
    ld a1, 0(s2)
    CHECK_MTRAP 18, 13
    li s2, 0x0000004000000000
    ld a1, 0(s2)
    CHECK_MTRAP 19, 13
    # 20: fetch from a page without X, and from a U page in S
    RESUME_AT f1
    li t0, VA(0)
    jr t0
f1: CHECK_MTRAP 20, 12
    li t0, VA(0)
    li gp, 21
    bne s11, t0, fail
    RESUME_AT f2
    li t0, VA(9)
    jr t0
f2: CHECK_MTRAP 22, 12
    # 23: megapage read and sfence.vma inside it
    la t0, pageB
    li t1, 0x80000000
    sub t0, t0, t1
    li s2, 0xC0400000
    add s2, s2, t0
    ld a1, 0(s2)
    CHECK 23, a1, 0x2222
    la t1, pt1
    sd zero, 16(t1)
    sfence.vma s2
    ld a1, 0(s2)
    CHECK_MTRAP 24, 13
    # 25: remap a 4 KiB page; sfence.vma by address, then in full
    li s2, VA(6)
    ld a1, 0(s2)
    CHECK 25, a1, 0x2222
    MAP pt0, 6, pageC, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    sfence.vma s2
    ld a1, 0(s2)
    CHECK 26, a1, 0x3333
    MAP pt0, 6, pageB, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    sfence.vma
    ld a1, 0(s2)
    CHECK 27, a1, 0x2222
    TO_M m1
m1:
    # 30: U-mode code on a U page; its access to a supervisor page faults
    li s2, VA(2)
    li s3, VA(0)
    la a6, m2
    li s4, 0
    li a1, 0
    li s10, -1
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, VA(7)
    csrw mepc, t0
    mret
m2:
    CHECK 30, a1, 0x1112
    CHECK 31, s4, 13
    # 32: MPRV makes M-mode loads translate as MPP
    li t0, MSTATUS_MPRV | (1 << 11)
    csrs mstatus, t0
    li s2, VA(0)
    ld a1, 0(s2)
    CHECK 32, a1, 0x1112
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    li s10, -1
    ld a1, 0(s2)                      # bare: 0xC0000000 is neither RAM nor a device
    CHECK_MTRAP 33, 5
    # 34: Sv48 with the Sv39 root as its second level
    la t0, pt48
    srli t0, t0, 12
    li t1, 9 << 60
    or t0, t0, t1
    csrw satp, t0
    TO_S s48
s48:
    li s2, VA(0)
    ld a1, 0(s2)
    CHECK 34, a1, 0x1112
    li s2, 0x8000000000               # top-level index 1: invalid
    ld a1, 0(s2)
    CHECK_MTRAP 35, 13
    li s2, 0x0000800000000000         # not sign-extended from bit 47
    ld a1, 0(s2)
    CHECK_MTRAP 36, 13
    li s2, 0x0000004000000000         # canonical in Sv48, but unmapped
    ld a1, 0(s2)
    CHECK_MTRAP 37, 13
    TO_M m3
m3:
    csrw satp, zero
    j pass
TEST_HANDLERS

    .align 12
    .option push
    .option norvc
ucode:                                # runs at VA(7) in U-mode
    ld a1, 0(s2)
    ld a2, 0(s3)                      # faults: supervisor page
    mv s4, s10
    li a7, 93
    ebreak
    .option pop
    .align 12

.data
.align 12
pt2: .space 4096
pt1: .space 4096
pt0: .space 4096
pt48: .space 4096
pageA: .dword 0x1111
    .align 12
pageB: .dword 0x2222
    .align 12
pageC: .dword 0x3333
    .align 12
