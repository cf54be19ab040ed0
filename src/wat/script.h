/* script.h: .wast scripts (the spec test format) converted to the JSON command list and module files
 * that wabt's wast2json writes, so a runner that reads that layout can run any script. */
#ifndef LODGE_WAT_SCRIPT_H
#define LODGE_WAT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lodge.h"

typedef struct WatScriptFile {
    char *name;         /* e.g. "foo.3.wasm" or "foo.7.wat" (a `module quote` meant to be malformed) */
    uint8_t *data;
    size_t len;
} WatScriptFile;

typedef struct WatScriptOut {
    char *json;         /* the whole JSON document, NUL-terminated */
    size_t json_len;
    WatScriptFile *files;
    size_t nfiles, cap;
} WatScriptOut;

/* Convert the script text. source_name goes into "source_filename"; module files are named
 * "<base>.<N>.wasm|wat". Everything in *out is malloc'd: free it with wat_script_out_free (also after a
 * failure). Errors are LODGE_ERR_MALFORMED with "LINE:COL: message". */
bool wat_script_convert(const char *text, size_t len, const char *source_name, const char *base,
                        WatScriptOut *out, lodge_error_t *err);
void wat_script_out_free(WatScriptOut *out);

#endif
