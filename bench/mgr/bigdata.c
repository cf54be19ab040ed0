/* bigdata.c: a WASI command with 256 KiB of initialized data (a lookup table), so that instantiation has
 * real data segments to lay out: bench/mgr's copy-on-write image against copying them. */
#include <stdio.h>

#define TABLE_BYTES (256 * 1024)
static const unsigned char table[TABLE_BYTES] = {[0 ... TABLE_BYTES - 1] = 7};

int main(int argc, char **argv)
{
    (void)argv;
    printf("%d\n", table[(unsigned)argc * 4099u % TABLE_BYTES]);
    return 0;
}
