# Code changed by a device (DMA) rather than by a hart: the harness copies bytes in RAM itself and calls
# hart_invalidate_code, and the new code runs without any fence.i.
# qemu: no (uses the harness's own DMA device)
#include "test.h"
#define DMA 0x2200000
TEST_START
main:
    jal ra, target
    CHECK 1, a0, 1
    li t0, DMA
    la t1, target
    sd t1, 0(t0)                      # destination
    la t1, replacement
    sd t1, 8(t0)                      # source
    li t1, 8
    sd t1, 16(t0)                     # length: go
    jal ra, target
    CHECK 2, a0, 2
    j pass
    .option push
    .option norvc
target:
    li a0, 1
    ret
replacement:
    li a0, 2
    ret
    .option pop
TEST_HANDLERS
