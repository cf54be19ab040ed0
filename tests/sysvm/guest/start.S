/* Entry of the hostile test guest (S-mode, a0 = hartid, a1 = device tree): a stack, a trap handler that
 * records the cause and skips the faulting 4-byte instruction, then main(). */
    .section .text.start
    .globl _start
_start:
    la sp, stack_top
    la t0, trap_entry
    csrw stvec, t0
    call main
1:  j 1b

    .align 2
    .globl trap_entry
trap_entry:
    addi sp, sp, -16
    sd t0, 0(sp)
    sd t1, 8(sp)
    csrr t0, scause
    la t1, last_cause
    sd t0, 0(t1)
    csrr t0, sepc
    addi t0, t0, 4
    csrw sepc, t0
    ld t0, 0(sp)
    ld t1, 8(sp)
    addi sp, sp, 16
    sret
