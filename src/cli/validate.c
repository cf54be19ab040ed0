/* validate.c: `lodge validate FILE...`: decode and validate, report the first error with its offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lodge.h"

static const char *status_word(lodge_status_t s)
{
    switch (s) {
    case LODGE_ERR_MALFORMED: return "malformed";
    case LODGE_ERR_INVALID: return "invalid";
    case LODGE_ERR_NOMEM: return "out of memory";
    default: return "error";
    }
}

int cli_validate(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: lodge validate FILE.wasm...\n\n"
                     "Decode and validate each module as the WebAssembly 2.0 spec requires (SIMD excluded).\n"
                     "Prints `FILE: valid`, or the first error with its byte offset. Exit status 0 when all\n"
                     "are valid, 1 otherwise, 2 on wrong arguments.\n");
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    lodge_engine_t *engine = lodge_engine_new(NULL);
    if (!engine) {
        fprintf(stderr, "lodge: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    int rc = CLI_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            fprintf(stderr, "lodge validate: unknown option '%s'\n", argv[i]);
            rc = CLI_EXIT_USAGE;
            break;
        }
        size_t len;
        uint8_t *bytes = cli_load_module_bytes(argv[i], &len);
        if (!bytes) {
            rc = CLI_EXIT_ERROR;
            continue;
        }
        lodge_error_t err;
        if (lodge_module_validate(engine, bytes, len, &err)) {
            printf("%s: valid\n", argv[i]);
        } else {
            fprintf(stderr, "%s: %s: %s\n", argv[i], status_word(err.status), err.message);
            rc = CLI_EXIT_ERROR;
        }
        free(bytes);
    }
    lodge_engine_delete(engine);
    return rc;
}
