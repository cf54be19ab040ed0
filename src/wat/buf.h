/* buf.h: the growable byte buffer the text-format encoder writes into, with LEB128 writers.
 * Plain malloc: text conversion runs before any store exists, so there is no guest budget to charge. */
#ifndef LODGE_WAT_BUF_H
#define LODGE_WAT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct WatBuf {
    uint8_t *data;
    size_t len, cap;
    bool oom;           /* sticky: an allocation failed; checked once at the end */
} WatBuf;

void wat_buf_free(WatBuf *b);
void wat_buf_byte(WatBuf *b, uint8_t v);
void wat_buf_bytes(WatBuf *b, const void *p, size_t n);
void wat_buf_u32(WatBuf *b, uint32_t v);           /* unsigned LEB128 */
void wat_buf_s32(WatBuf *b, int32_t v);            /* signed LEB128 */
void wat_buf_s64(WatBuf *b, int64_t v);
void wat_buf_name(WatBuf *b, const void *p, size_t n); /* length-prefixed bytes */
/* Append a section: id, LEB128 size, payload. */
void wat_buf_section(WatBuf *b, uint8_t id, const WatBuf *payload);

#endif
