/* Host entropy for virtio-rng (getrandom). */
#ifndef LODGE_SYSVM_BACKEND_ENTROPY_H
#define LODGE_SYSVM_BACKEND_ENTROPY_H

#include <stdbool.h>
#include <stddef.h>

/* Fills buf with len random bytes; false if the host cannot provide them. */
bool entropy_fill(void *buf, size_t len);

#endif
