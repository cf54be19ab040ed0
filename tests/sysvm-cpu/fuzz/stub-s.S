# Robustness: pseudo-random bytes as Sv39 page tables and S-mode code (run.sh appends them at 'random').
# A trap skips 4 bytes; a fetch fault restarts at 0x80003000.
    .section .text.init
    .globl _start
_start:
    la t0, h
    csrw mtvec, t0
    li t0, (3 << 13)
    csrs mstatus, t0
    la t0, random
    srli t0, t0, 12
    li t1, (8 << 60)
    or t0, t0, t1
    csrw satp, t0
    li t0, (3 << 11)
    csrc mstatus, t0
    li t0, (1 << 11)
    csrs mstatus, t0
    li t0, 0x80003000
    csrw mepc, t0
    mret
    .align 2
h:
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    csrr t1, mcause
    li t2, 12
    beq t1, t2, 2f
    mret
2:  li t0, 0x80003000
    csrw mepc, t0
    mret
    .align 12
random:
