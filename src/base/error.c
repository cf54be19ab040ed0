/* error.c: the error value every fallible call fills, and the spec's names for traps. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lodge.h"

bool lodge_error_set(lodge_error_t *err, lodge_status_t status, const char *fmt, ...)
{
    if (!err)
        return false;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

const char *lodge_trap_name(lodge_trap_kind_t kind)
{
    switch (kind) {
    case LODGE_TRAP_NONE: return "no trap";
    case LODGE_TRAP_UNREACHABLE: return "unreachable";
    case LODGE_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case LODGE_TRAP_TABLE_OOB: return "out of bounds table access";
    case LODGE_TRAP_INDIRECT_NULL: return "uninitialized element";
    case LODGE_TRAP_INDIRECT_TYPE: return "indirect call type mismatch";
    case LODGE_TRAP_DIV_ZERO: return "integer divide by zero";
    case LODGE_TRAP_INT_OVERFLOW: return "integer overflow";
    case LODGE_TRAP_INVALID_CONV: return "invalid conversion to integer";
    case LODGE_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case LODGE_TRAP_INTERRUPTED: return "interrupted";
    case LODGE_TRAP_HOST: return "host function error";
    case LODGE_TRAP_NULL_REF: return "null reference";
    case LODGE_TRAP_MEMORY_LIMIT: return "memory limit exceeded";
    case LODGE_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case LODGE_TRAP_OUT_OF_MEMORY: return "out of memory";
    }
    return "unknown trap";
}
