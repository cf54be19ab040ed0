/* g_reactor.c: a WASI reactor (built with -mexec-model=reactor): its _initialize runs the constructor
 * below, which prints and sets the counter; the embedder then calls `next`. */
#include <stdio.h>

static int counter;

__attribute__((constructor)) static void init(void)
{
    counter = 41;
    printf("reactor ready\n");
    fflush(stdout);
}

__attribute__((export_name("next"))) int next(void)
{
    return ++counter;
}
