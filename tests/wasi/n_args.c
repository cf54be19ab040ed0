/* n_args.c: arguments and the environment as a program sees them. Built both as WASI bytecode and
 * natively (run with only the same variables set): the outputs must match. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = [%s]\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("environ count %d\n", n);
    const char *names[] = {"GREETING", "EMPTY", "MISSING"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        printf("%s = %s\n", names[i], v ? v : "(unset)");
    }
    return 0;
}
