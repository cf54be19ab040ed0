/* text.c: bounded one-line texts for the spec runner's reports. */
#include <stdarg.h>
#include <stdio.h>

#include "spec.h"

void text_add(Text *t, const char *fmt, ...)
{
    if (t->n >= sizeof t->s - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->s + t->n, sizeof t->s - t->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        t->n = (size_t)k < sizeof t->s - t->n ? t->n + (size_t)k : sizeof t->s - 1;
}

void text_add_quoted(Text *t, const char *s)
{
    text_add(t, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == NUL_STANDIN)
            text_add(t, "\\00");
        else if (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f)
            text_add(t, "\\%02x", *p);
        else
            text_add(t, "%c", *p);
    }
    text_add(t, "\"");
}
