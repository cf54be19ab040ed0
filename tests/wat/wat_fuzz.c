/* wat_fuzz.c: libFuzzer target for the text front end: any bytes through wat_to_wasm() (one module) and
 * wat_script_convert() (a .wast script). Properties: no crash, no sanitizer report, no hang; a success
 * yields a binary that starts with the magic and version; a failure carries a located message. */
#include <stdlib.h>
#include <string.h>

#include "wat/script.h"
#include "wat/wat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t len = 0;
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    if (wat_to_wasm((const char *)data, size, &out, &len, &err)) {
        if (len < 8 || memcmp(out, "\0asm\1\0\0\0", 8) != 0)
            abort();
        free(out);
    } else if (err.message[0] == '\0') {
        abort();
    }
    WatScriptOut so;
    memset(&err, 0, sizeof err);
    if (!wat_script_convert((const char *)data, size, "fuzz.wast", "fuzz", &so, &err) && err.message[0] == '\0')
        abort();
    wat_script_out_free(&so);
    return 0;
}
