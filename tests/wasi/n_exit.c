/* n_exit.c: ways a program ends: `return N` from main, `exit N`, `deep N` (exit from deep inside a
 * recursion), `abort`, and `atexit` (handlers run, output flushed). Built both as WASI bytecode and
 * natively: output and exit status must match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bye(void)
{
    printf("atexit handler ran\n");
}

static int deep(int depth, int code)
{
    if (depth < 0)
        return 0;
    if (depth == 0)
        exit(code);
    return deep(depth - 1, code) + 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 3;
    int code = argc > 2 ? atoi(argv[2]) : 0;
    printf("mode %s, code %d\n", argv[1], code); /* buffered: must be flushed by exit() */
    if (strcmp(argv[1], "return") == 0)
        return code;
    if (strcmp(argv[1], "exit") == 0)
        exit(code);
    if (strcmp(argv[1], "deep") == 0)
        return deep(1000, code);
    if (strcmp(argv[1], "atexit") == 0) {
        atexit(bye);
        exit(code);
    }
    if (strcmp(argv[1], "abort") == 0) {
        fflush(stdout);
        abort();
    }
    return 99;
}
