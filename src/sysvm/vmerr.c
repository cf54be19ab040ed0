/* The system VM's error value (see vmerr.h). */
#include "sysvm/vmerr.h"

#include <stdarg.h>
#include <stdio.h>

bool vmerr_set(VmError *err, const char *fmt, ...)
{
    if (!err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return false;
}

bool vmerr_setk(VmError *err, VmErrKind kind, const char *fmt, ...)
{
    if (!err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->kind = kind;
    return false;
}
