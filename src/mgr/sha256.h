/* mgr/sha256.h: SHA-256 (FIPS 180-4), for module ids: a module's default id is "m-" and the first 16 hex
 * digits of its digest, so a client can find a module it uploaded before without uploading it again. */
#ifndef LODGE_MGR_SHA256_H
#define LODGE_MGR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of data as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
