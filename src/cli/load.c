/* load.c: reading a module file for the verbs: a binary module as is, a text-format module (anything not
 * starting with the \0asm magic) converted to binary by src/wat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "wat/wat.h"

uint8_t *cli_load_module_bytes(const char *path, size_t *len)
{
    size_t n;
    uint8_t *bytes = cli_read_file(path, &n);
    if (!bytes)
        return NULL;
    /* Binary if it has the magic, or if it looks binary at all (a NUL early on), or is empty: then the
     * decoder's complaint is the right one, not a text-format error (or an empty text module). */
    if (n == 0 || (n >= 4 && memcmp(bytes, "\0asm", 4) == 0) || memchr(bytes, 0, n < 64 ? n : 64)) {
        *len = n;
        return bytes;
    }
    uint8_t *bin = NULL;
    size_t blen = 0;
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    bool ok = wat_to_wasm((const char *)bytes, n, &bin, &blen, &err);
    free(bytes);
    if (!ok) {
        /* "lodge: foo.wat:3:14: unknown operator i32.ad" (compiler style, so editors can jump to it) */
        fprintf(stderr, "lodge: %s:%s\n", path, err.message);
        return NULL;
    }
    *len = blen;
    return bin;
}
