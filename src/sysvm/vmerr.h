/* The system VM's error value: a message with context (device, address, file), filled by the callee. */
#ifndef LODGE_SYSVM_VMERR_H
#define LODGE_SYSVM_VMERR_H

#include <stdbool.h>

/* What kind of failure, for the public API's status: a bad value (the default), a host file or system call
 * that failed, or memory that ran out. */
typedef enum VmErrKind { VMERR_ARG = 0, VMERR_IO, VMERR_NOMEM } VmErrKind;

typedef struct VmError {
    char msg[256];
    VmErrKind kind;
} VmError;

/* Formats the message into err (err may be NULL) and returns false, so `return vmerr_set(...)` reads well. */
bool vmerr_set(VmError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, with a kind other than VMERR_ARG. */
bool vmerr_setk(VmError *err, VmErrKind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
