/* lodge-wast2json: convert a .wast script to JSON commands plus module files, in the layout of wabt's
 * wast2json (same file names, numbering and JSON), for the spec files that wast2json cannot read.
 * usage: lodge-wast2json FILE.wast [-o OUT.json]
 *        lodge-wast2json --wat FILE.wat [-o OUT.wasm]   (one text module to binary, with a name section) */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat/script.h"
#include "wat/wat.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "lodge-wast2json: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "lodge-wast2json: %s: %s\n", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "lodge-wast2json: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: lodge-wast2json FILE.wast [-o OUT.json]\n"
                 "Writes OUT.json (default: FILE's base name + .json in the current directory) and, next to\n"
                 "it, OUT.N.wasm for each module and OUT.N.wat for each quoted module meant to be malformed,\n"
                 "as wabt's wast2json does.\n"
                 "       lodge-wast2json --wat FILE.wat [-o OUT.wasm]\n"
                 "Converts one text module to a binary module (with a name section); without -o it only\n"
                 "checks that the text parses. Exit status 1 and a LINE:COLUMN message if it does not.\n");
}

static int wat_mode(const char *in, const char *outpath)
{
    size_t len;
    char *text = read_all(in, &len);
    if (!text)
        return 1;
    uint8_t *bin = NULL;
    size_t blen = 0;
    lodge_error_t err = {0};
    int rc = 0;
    if (!wat_to_wasm(text, len, &bin, &blen, &err)) {
        fprintf(stderr, "%s:%s\n", in, err.message);
        rc = 1;
    } else if (outpath) {
        rc = write_all(outpath, bin, blen) ? 1 : 0;
    }
    free(bin);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    const char *in = NULL, *outpath = NULL;
    bool wat = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--wat") == 0) {
            wat = true;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            outpath = argv[++i];
        } else if (argv[i][0] == '-' || in) {
            usage(stderr);
            return 2;
        } else {
            in = argv[i];
        }
    }
    if (!in) {
        usage(stderr);
        return 2;
    }
    if (wat)
        return wat_mode(in, outpath);
    char *defout = NULL;
    if (!outpath) {
        const char *b = strrchr(in, '/');
        b = b ? b + 1 : in;
        size_t n = strlen(b);
        if (n > 5 && strcmp(b + n - 5, ".wast") == 0)
            n -= 5;
        defout = malloc(n + 6);
        if (!defout)
            return 1;
        memcpy(defout, b, n);
        strcpy(defout + n, ".json");
        outpath = defout;
    }
    /* Module files go next to the JSON: <dir>/<base>.N.wasm, where base is the JSON name minus .json. */
    size_t olen = strlen(outpath);
    char *noext = malloc(olen + 1);
    if (!noext)
        return 1;
    strcpy(noext, outpath);
    char *slash = strrchr(noext, '/'), *dot = strrchr(noext, '.');
    if (dot && (!slash || dot > slash))
        *dot = '\0';
    const char *base = slash ? slash + 1 : noext;
    size_t dirlen = slash ? (size_t)(slash - noext) + 1 : 0;

    size_t len;
    char *text = read_all(in, &len);
    if (!text)
        return 1;
    WatScriptOut out;
    lodge_error_t err = {0};
    int rc = 0;
    if (!wat_script_convert(text, len, in, base, &out, &err)) {
        fprintf(stderr, "%s:%s\n", in, err.message);
        rc = 1;
    } else {
        rc = write_all(outpath, out.json, out.json_len) ? 1 : 0;
        for (size_t i = 0; rc == 0 && i < out.nfiles; i++) {
            size_t n = dirlen + strlen(out.files[i].name) + 1;
            char *path = malloc(n);
            if (!path) {
                rc = 1;
                break;
            }
            snprintf(path, n, "%.*s%s", (int)dirlen, noext, out.files[i].name);
            if (write_all(path, out.files[i].data, out.files[i].len))
                rc = 1;
            free(path);
        }
    }
    wat_script_out_free(&out);
    free(text);
    free(noext);
    free(defout);
    return rc;
}
