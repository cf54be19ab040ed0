/* hello.c: the smallest WASI command: print a greeting and each argument, exit 0. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from WebAssembly!\n");
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    return 0;
}
