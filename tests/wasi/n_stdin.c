/* n_stdin.c: read all of standard input and summarise it (bytes, lines, longest line, checksum, the
 * first line in upper case). Built both as WASI bytecode and natively: the outputs must match. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char first[128] = {0};
    size_t bytes = 0, lines = 0, cur = 0, longest = 0, fi = 0;
    uint32_t h = 2166136261u;
    int c;
    while ((c = getchar()) != EOF) {
        bytes++;
        h = (h ^ (uint32_t)(unsigned char)c) * 16777619u;
        if (lines == 0 && c != '\n' && fi < sizeof first - 1)
            first[fi++] = (char)toupper(c);
        if (c == '\n') {
            lines++;
            if (cur > longest)
                longest = cur;
            cur = 0;
        } else {
            cur++;
        }
    }
    if (cur > longest)
        longest = cur;
    printf("bytes %zu\nlines %zu\nlongest %zu\nfnv1a %08x\nfirst %s\n", bytes, lines, longest, h, first);
    return ferror(stdin) ? 1 : 0;
}
