/* hello.c: the whole-process start-up benchmark: print one line and exit. */
#include <stdio.h>

int main(void)
{
    printf("hello, world\n");
    return 0;
}
