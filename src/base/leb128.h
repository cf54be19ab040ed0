/* leb128.h: bounds-checked LEB128 readers for the decoder. Each returns false on truncation, on too many
 * bytes, or on unused bits that are not a sign/zero extension (the spec's "integer too large"). */
#ifndef LODGE_BASE_LEB128_H
#define LODGE_BASE_LEB128_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { LEB_OK = 0, LEB_TRUNCATED, LEB_TOO_LONG, LEB_TOO_LARGE } LebStatus;

/* Read an unsigned LEB128 of at most `bits` bits (32 or 64) from p[*pos..end). */
static inline LebStatus leb_read_u(const uint8_t *p, size_t end, size_t *pos, unsigned bits, uint64_t *out)
{
    uint64_t result = 0;
    unsigned shift = 0;
    size_t i = *pos;
    unsigned max_bytes = (bits + 6) / 7;
    for (unsigned n = 0;; n++) {
        if (i >= end)
            return LEB_TRUNCATED;
        if (n >= max_bytes)
            return LEB_TOO_LONG;
        uint8_t b = p[i++];
        if (n == max_bytes - 1) {
            /* last byte: payload bits above `bits` must be zero, then no continuation (checked in the
             * reference decoder's order: 0xF0 as a u32's fifth byte is too large, 0x8F too long) */
            unsigned used = bits - shift;
            if (used < 7 && ((b & 0x7f) >> used) != 0)
                return LEB_TOO_LARGE;
            if (b & 0x80)
                return LEB_TOO_LONG;
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    *pos = i;
    *out = result;
    return LEB_OK;
}

/* Signed LEB128 of at most `bits` bits (32, 33 or 64). */
static inline LebStatus leb_read_s(const uint8_t *p, size_t end, size_t *pos, unsigned bits, int64_t *out)
{
    uint64_t result = 0;
    unsigned shift = 0;
    size_t i = *pos;
    unsigned max_bytes = (bits + 6) / 7;
    uint8_t b = 0;
    for (unsigned n = 0;; n++) {
        if (i >= end)
            return LEB_TRUNCATED;
        if (n >= max_bytes)
            return LEB_TOO_LONG;
        b = p[i++];
        if (n == max_bytes - 1) {
            /* remaining payload bits of the last byte must all equal the sign bit; then no continuation */
            unsigned used = bits - shift; /* 1..7 meaningful bits */
            if (used < 7) {
                int8_t sb = (int8_t)(uint8_t)(b << 1) >> 1; /* sign-extend 7-bit payload */
                int8_t top = (int8_t)(sb >> (used - 1));
                if (top != 0 && top != -1)
                    return LEB_TOO_LARGE;
            }
            if (b & 0x80)
                return LEB_TOO_LONG;
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        result |= ~(uint64_t)0 << shift;
    *pos = i;
    *out = (int64_t)result;
    return LEB_OK;
}

#endif
