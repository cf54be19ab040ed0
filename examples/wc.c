/* wc.c: count lines, words and bytes of standard input (or of the files named, inside a preopen),
 * as `wc` does: `lodge run wc.wasm < file`. */
#include <ctype.h>
#include <stdio.h>

static int count(FILE *f, const char *name, unsigned long long tot[3])
{
    unsigned long long lines = 0, words = 0, bytes = 0;
    int c, inword = 0;
    while ((c = getc(f)) != EOF) {
        bytes++;
        if (c == '\n')
            lines++;
        if (isspace(c))
            inword = 0;
        else if (!inword) {
            inword = 1;
            words++;
        }
    }
    if (ferror(f)) {
        perror(name ? name : "stdin");
        return 1;
    }
    printf("%7llu %7llu %7llu%s%s\n", lines, words, bytes, name ? " " : "", name ? name : "");
    tot[0] += lines;
    tot[1] += words;
    tot[2] += bytes;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long long tot[3] = {0, 0, 0};
    int rc = 0;
    if (argc < 2)
        return count(stdin, NULL, tot);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            perror(argv[i]);
            rc = 1;
            continue;
        }
        rc |= count(f, argv[i], tot);
        fclose(f);
    }
    if (argc > 2)
        printf("%7llu %7llu %7llu total\n", tot[0], tot[1], tot[2]);
    return rc;
}
