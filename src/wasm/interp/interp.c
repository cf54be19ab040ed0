/* interp.c: the two instantiations of the dispatch loop (guard pages / explicit checks). */
#include <math.h>
#include <string.h>

#include "wasm/interp/code.h"
#include "wasm/interp/num.h"

#define INTERP_FN interp_run_guarded
#define INTERP_CHECKED 0
#include "wasm/interp/loop.inc"
#undef INTERP_FN
#undef INTERP_CHECKED

#define INTERP_FN interp_run_checked
#define INTERP_CHECKED 1
#include "wasm/interp/loop.inc"
#undef INTERP_FN
#undef INTERP_CHECKED

const void *const *interp_handlers(bool checked)
{
    const void *const *t = NULL;
    if (checked)
        interp_run_checked(NULL, NULL, NULL, &t);
    else
        interp_run_guarded(NULL, NULL, NULL, &t);
    return t;
}
