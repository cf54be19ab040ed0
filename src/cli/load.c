/* load.c: reading a module file for the verbs (binary now; text format once src/wat is in). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

uint8_t *cli_load_module_bytes(const char *path, size_t *len)
{
    return cli_read_file(path, len);
}
