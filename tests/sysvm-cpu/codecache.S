# The decode cache under pressure: code spread over 300 pages (more than a hart keeps decoded) is called
# round after round, so pages are evicted and decoded again; one of them is rewritten between rounds.
#include "test.h"
#define NPAGES 300
TEST_START
main:
    li s0, 0                          # sum
    li s1, 4                          # rounds
1:  la s2, pages
    li s3, NPAGES
2:  jalr ra, 0(s2)                    # each page: a0 = page's value
    add s0, s0, a0
    li t0, 4096
    add s2, s2, t0
    addi s3, s3, -1
    bnez s3, 2b
    addi s1, s1, -1
    li t0, 2
    bne s1, t0, 3f
    la t0, pages + 4096 * 7           # between rounds 2 and 3: page 7 now returns 1000
    lw t1, new_insn
    sw t1, 0(t0)
    fence.i
3:  bnez s1, 1b
    # sum of 1..300 = 45150 per round; rounds 3 and 4 have page 7 returning 1000 instead of 8
    CHECK 1, s0, 4 * 45150 + 2 * (1000 - 8)
    j pass
TEST_HANDLERS
    .option push
    .option norvc
new_insn:
    li a0, 1000
    .align 12
pages:
    .set i, 1
    .rept NPAGES
    li a0, i
    ret
    .align 12
    .set i, i + 1
    .endr
    .option pop
