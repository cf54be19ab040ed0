/* buf.c: growable byte buffer with LEB128 writers (see buf.h). */
#include <stdlib.h>
#include <string.h>

#include "wat/buf.h"

void wat_buf_free(WatBuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static bool reserve(WatBuf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d) {
        b->oom = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void wat_buf_byte(WatBuf *b, uint8_t v)
{
    if (reserve(b, 1))
        b->data[b->len++] = v;
}

void wat_buf_bytes(WatBuf *b, const void *p, size_t n)
{
    if (n && reserve(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

void wat_buf_u32(WatBuf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        wat_buf_byte(b, byte | (v ? 0x80 : 0));
    } while (v);
}

void wat_buf_s64(WatBuf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7; /* arithmetic shift: gcc and clang define it for signed values */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        wat_buf_byte(b, byte | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

void wat_buf_s32(WatBuf *b, int32_t v)
{
    wat_buf_s64(b, v);
}

void wat_buf_name(WatBuf *b, const void *p, size_t n)
{
    wat_buf_u32(b, (uint32_t)n);
    wat_buf_bytes(b, p, n);
}

void wat_buf_section(WatBuf *b, uint8_t id, const WatBuf *payload)
{
    wat_buf_byte(b, id);
    wat_buf_u32(b, (uint32_t)payload->len);
    wat_buf_bytes(b, payload->data, payload->len);
    if (payload->oom)
        b->oom = true;
}
