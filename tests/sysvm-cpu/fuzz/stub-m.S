# Robustness: M-mode start for pseudo-random code (run.sh appends the random bytes at 'random').
# A trap skips the trapping instruction (2 or 4 bytes).
    .section .text.init
    .globl _start
_start:
    la t0, h
    csrw mtvec, t0
    li t0, (3 << 13)
    csrs mstatus, t0
    la t0, random
    jr t0
    .align 2
h:
    csrr t0, mepc
    lhu t1, 0(t0)
    andi t1, t1, 3
    li t2, 3
    bne t1, t2, 1f
    addi t0, t0, 2
1:  addi t0, t0, 2
    csrw mepc, t0
    mret
    .align 12
random:
