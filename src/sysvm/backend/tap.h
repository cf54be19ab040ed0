/* A Linux tap device as the network backend: whole Ethernet frames in and out, non-blocking. */
#ifndef LODGE_SYSVM_BACKEND_TAP_H
#define LODGE_SYSVM_BACKEND_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sysvm/vmerr.h"

typedef struct Tap {
    int fd;
    char name[16];
} Tap;

/* Attaches to (or creates) tap interface `name`; needs CAP_NET_ADMIN or an existing tap owned by the user. */
bool tap_open(Tap *t, const char *name, VmError *err);
void tap_close(Tap *t);
/* One frame into buf; returns its length, 0 when none is waiting, -1 on error. */
ssize_t tap_read(Tap *t, void *buf, size_t cap);
bool tap_write(Tap *t, const void *frame, size_t len);

#endif
