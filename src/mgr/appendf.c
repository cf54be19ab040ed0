/* appendf.c: mgr_appendf (mgr/mgr.h), in a file of its own so that programs linking parts of src/mgr without
 * lodged's main (the worker pool's test) have it too. */
#include "mgr/mgr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mgr_appendf(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}
