/* Tiny guests that end in each way `lodge boot` reports: built with -DEXIT_FAIL (the test device's failure
 * code 7: status 4) or -DEXIT_HALT (SBI HSM hart_stop on the only hart: status 5). */
    .section .text.start
    .globl _start
_start:
#ifdef EXIT_FAIL
    li t0, 0x100000
    li t1, (7 << 16) | 0x3333
    sw t1, 0(t0)
#else
    li a7, 0x48534D
    li a6, 1
    ecall
#endif
1:  j 1b
