/* printf.c: 200,000 formatted lines to standard output (libc formatting and buffered writes). */
#include <stdio.h>

int main(void)
{
    double x = 0.5;
    for (int i = 0; i < 200000; i++) {
        x = x * 1.0000001 + 0.25;
        printf("%6d %12.4f %08x %s\n", i, x, (unsigned)i * 2654435761u, (i & 1) ? "odd" : "even");
    }
    return 0;
}
