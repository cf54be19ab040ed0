# Two harts sharing memory: a counter incremented with amoadd and another with an LR/SC loop, by both harts
# (the harness switches harts every ~1000 instructions, so reservations get broken mid-loop), then hart 0
# checks both totals. Also: a store by one hart to code another hart has decoded is seen by that hart.
# harness: --harts 2
# qemu: no (under QEMU's multi-threaded TCG about 1 run in 20 hangs; not investigated)
#include "test.h"
#define N 20000
TEST_START
main:
    csrr s0, mhartid
    la s1, counters
    li s2, N
    addi s3, s1, 8
    addi s4, s1, 16
1:  li t0, 1
    amoadd.d zero, t0, (s1)
2:  lr.d t1, (s3)
    addi t1, t1, 1
    sc.d t2, t1, (s3)
    bnez t2, 2b
    addi s2, s2, -1
    bnez s2, 1b
    li t0, 1
    amoadd.d zero, t0, (s4)         # done count
    bnez s0, hart1
3:  ld t0, 16(s1)
    li t1, 2
    bne t0, t1, 3b
    ld a1, 0(s1)
    CHECK 1, a1, 2 * N
    ld a1, 8(s1)
    CHECK 2, a1, 2 * N
    # cross-hart code invalidation: hart 1 spins calling `shared`; we patch it to return 7
    li t0, 1
    sd t0, 24(s1)                     # go
4:  ld t0, 32(s1)                     # hart 1 has run `shared` at least once
    beqz t0, 4b
    la t0, shared
    lw t1, new_insn
    sw t1, 0(t0)
5:  ld t0, 40(s1)                     # hart 1 saw 7
    beqz t0, 5b
    j pass

hart1:
6:  ld t0, 24(s1)
    beqz t0, 6b
7:  fence.i                           # the spec's way to see another hart's code store (Lodge sees it anyway)
    jal ra, shared
    li t0, 1
    sd t0, 32(s1)
    li t1, 7
    bne a0, t1, 7b
    sd t0, 40(s1)
8:  wfi
    j 8b

    .option push
    .option norvc
shared:
    li a0, 1
    ret
new_insn:
    li a0, 7
    .option pop
TEST_HANDLERS
.data
.align 6
counters: .space 64
