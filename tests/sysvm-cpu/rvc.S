# C extension: every RV64C instruction, written as compressed forms explicitly, including the stack-pointer
# forms, compressed branches and jumps (odd 2-byte alignment), and c.ebreak trapping.
#include "test.h"
TEST_START
main:
    c.li a0, 31
    CHECK 1, a0, 31
    c.li a0, -32
    CHECK 2, a0, -32
    c.lui a1, 0x1f
    CHECK 3, a1, 0x1f000
    c.lui a1, 0xfffe0
    CHECK 4, a1, 0xfffffffffffe0000
    c.li a0, 5
    c.addi a0, -3
    CHECK 5, a0, 2
    li a0, 0x7fffffff
    c.addiw a0, 1
    CHECK 6, a0, 0xffffffff80000000
    mv s0, sp
    c.addi16sp sp, -64
    sub a1, s0, sp
    CHECK 7, a1, 64
    c.addi4spn a2, sp, 16
    sub a1, a2, sp
    CHECK 8, a1, 16
    c.addi16sp sp, 64
    li a0, 0x8000000000000001
    mv a1, a0
    c.slli a1, 1
    CHECK 9, a1, 2
    mv a1, a0
    c.srli a1, 63
    CHECK 10, a1, 1
    mv a1, a0
    c.srai a1, 1
    CHECK 11, a1, 0xc000000000000000
    li a1, 0xff
    c.andi a1, -16
    CHECK 12, a1, 0xf0
    c.mv a2, a1
    CHECK 13, a2, 0xf0
    c.add a2, a1
    CHECK 14, a2, 0x1e0
    li a3, 0x0f
    li a4, 0xf0
    mv a5, a3
    c.and a5, a4
    CHECK 15, a5, 0
    mv a5, a3
    c.or a5, a4
    CHECK 16, a5, 0xff
    mv a5, a3
    c.xor a5, a3
    CHECK 17, a5, 0
    mv a5, a4
    c.sub a5, a3
    CHECK 18, a5, 0xe1
    li a5, 0x7fffffff
    li a4, 1
    c.addw a5, a4
    CHECK 19, a5, 0xffffffff80000000
    c.subw a5, a4
    CHECK 20, a5, 0x7fffffff
    # loads and stores, register and sp based
    la s1, buf
    li a0, 0x1122334455667788
    c.sd a0, 8(s1)
    c.ld a1, 8(s1)
    CHECK 21, a1, 0x1122334455667788
    c.lw a1, 12(s1)
    CHECK 22, a1, 0x11223344
    li a0, -2
    c.sw a0, 16(s1)
    c.lw a1, 16(s1)
    CHECK 23, a1, -2
    c.addi16sp sp, -32
    li a0, 0xabcdef
    c.sdsp a0, 8(sp)
    c.ldsp a1, 8(sp)
    CHECK 24, a1, 0xabcdef
    c.swsp a0, 20(sp)
    c.lwsp a1, 20(sp)
    CHECK 25, a1, 0xabcdef
    li a0, 0x4010000000000000       # 4.0
    fmv.d.x fa0, a0
    c.fsdsp fa0, 0(sp)
    c.fldsp fa1, 0(sp)
    fmv.x.d a1, fa1
    CHECK 26, a1, 0x4010000000000000
    c.fsd fa0, 24(s1)
    c.fld fa2, 24(s1)
    fmv.x.d a1, fa2
    CHECK 27, a1, 0x4010000000000000
    c.addi16sp sp, 32
    # control flow
    c.li a0, 0
    c.beqz a0, 1f
    j fail
1:  c.bnez a0, fail2
    c.li a0, 1
    c.bnez a0, 2f
    j fail
2:  c.j 3f
    j fail
3:  la t0, 4f
    c.jalr t0
5:  j 6f
4:  la t1, 5b
    li gp, 28
    bne ra, t1, fail
    c.jr ra
6:  la t0, 7f
    c.jr t0
    j fail
7:  # c.ebreak traps with cause 3; the handler skips 4 bytes, so pad with c.nop
    li s10, -1
    c.ebreak
    c.nop
    CHECK_MTRAP 29, 3
    # c.nop and hints change nothing
    c.nop
    j pass
fail2: j fail
TEST_HANDLERS
.data
.align 3
buf: .space 64
