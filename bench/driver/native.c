/* native.c: the native peer: calls a benchmark's run(n), compiled from the same C, and prints the
 * checksum as a signed 32-bit integer, as the wasm engines print an i32 result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint32_t run(uint32_t n);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s N\n", argv[0]);
        return 2;
    }
    printf("%d\n", (int32_t)run((uint32_t)strtoul(argv[1], NULL, 10)));
    return 0;
}
