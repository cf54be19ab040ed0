/* Host entropy source: getrandom(2) from the kernel's pool. */
#include "sysvm/backend/entropy.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

bool entropy_fill(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}
