/* The system VM's error value: a message with context (device, address, file), filled by the callee. */
#ifndef LODGE_SYSVM_VMERR_H
#define LODGE_SYSVM_VMERR_H

#include <stdbool.h>

typedef struct VmError {
    char msg[256];
} VmError;

/* Formats the message into err (err may be NULL) and returns false, so `return vmerr_set(...)` reads well. */
bool vmerr_set(VmError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
