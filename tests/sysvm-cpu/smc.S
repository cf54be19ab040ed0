# Self-modifying code and the decode cache: rewriting an instruction already executed (same page and other
# page) takes effect after fence.i; code copied into a fresh page runs; an instruction straddling two pages
# executes, and rewriting its second half is seen.
#include "test.h"
TEST_START
main:
    # 1: patch an instruction that has already run
    li s1, 0
    la s0, patch_me
    jal ra, patch_me
    CHECK 1, a0, 1
    lw t0, new_insn
    sw t0, 0(s0)
    fence.i
    jal ra, patch_me
    CHECK 2, a0, 2
    # 3: patch an instruction in the page being executed, just ahead
    la s0, 1f
    lw t0, new_insn
    sw t0, 0(s0)
    fence.i
1:  li a0, 1
    CHECK 3, a0, 2
    # 4: copy a function into another page and run it, then overwrite it and run again
    la s0, code_page
    la s1, func
    lw t0, 0(s1)
    sw t0, 0(s0)
    lw t0, 4(s1)
    sw t0, 4(s0)
    fence.i
    jalr ra, 0(s0)
    CHECK 4, a0, 42
    lw t0, new_insn
    sw t0, 0(s0)
    fence.i
    jalr ra, 0(s0)
    CHECK 5, a0, 2
    # 6: a 32-bit instruction straddling a page boundary (last halfword of one page, first of the next)
    la s0, straddle
    jalr ra, 0(s0)
    CHECK 6, a0, 5
    lw t0, new_insn                   # li a0, 2: patch both halves, one store per page
    srli t1, t0, 16
    sh t0, 0(s0)
    sh t1, 2(s0)
    fence.i
    jalr ra, 0(s0)
    CHECK 7, a0, 2
    # 8: a hot loop whose body gets rewritten while it runs
    la s0, loop_body
    li a0, 0
    li a1, 1000
2:  jal ra, loop_body
    addi a1, a1, -1
    li t1, 500
    bne a1, t1, 3f
    lw t0, add2_insn
    sw t0, 0(s0)
    fence.i
3:  bnez a1, 2b
    CHECK 8, a0, 1500
    j pass

    .option push
    .option norvc
patch_me:
    li a0, 1
    ret
func:
    li a0, 42
    ret
loop_body:
    addi a0, a0, 1
    ret
new_insn:
    li a0, 2
add2_insn:
    addi a0, a0, 2
    .align 12
    .space 4094
straddle:
    li a0, 5
    ret
    .option pop
TEST_HANDLERS
.data
.align 12
code_page: .space 4096
