/* num.c: numeric literals of the text format (see num.h). Floats are rounded by the C library's strtof and
 * strtod, which round correctly (to nearest, ties to even) for decimal and hexadecimal input alike. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wat/num.h"

static int digit_val(char c, bool hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Consume digits with single underscores between them; false if none or misplaced underscores. */
static bool scan_digits(const char **p, const char *e, bool hex)
{
    const char *s = *p;
    bool any = false, prev_digit = false;
    while (s < e) {
        if (digit_val(*s, hex) >= 0) {
            any = prev_digit = true;
        } else if (*s == '_') {
            if (!prev_digit || s + 1 >= e || digit_val(s[1], hex) < 0)
                return false;
            prev_digit = false;
        } else {
            break;
        }
        s++;
    }
    *p = s;
    return any;
}

/* Magnitude of an unsigned integer literal (decimal or 0x hex); false on syntax error or overflow. */
static bool parse_mag(const char *s, const char *e, uint64_t *out)
{
    bool hex = e - s > 2 && s[0] == '0' && (s[1] == 'x');
    if (hex)
        s += 2;
    const char *p = s;
    if (!scan_digits(&p, e, hex) || p != e)
        return false;
    uint64_t v = 0, base = hex ? 16 : 10;
    for (; s < e; s++) {
        if (*s == '_')
            continue;
        uint64_t d = (uint64_t)digit_val(*s, hex);
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

bool wat_num_u64(const char *s, size_t n, uint64_t *out)
{
    return n > 0 && s[0] != '+' && s[0] != '-' && parse_mag(s, s + n, out);
}

bool wat_num_u32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;
    if (!wat_num_u64(s, n, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_int(const char *s, size_t n, uint64_t *mag, bool *neg)
{
    const char *e = s + n;
    *neg = false;
    if (s < e && (*s == '+' || *s == '-')) {
        *neg = *s == '-';
        s++;
    }
    return parse_mag(s, e, mag);
}

bool wat_num_i32(const char *s, size_t n, uint32_t *out)
{
    uint64_t m;
    bool neg;
    if (!parse_int(s, n, &m, &neg))
        return false;
    if (neg ? m > 0x80000000u : m > UINT32_MAX)
        return false;
    *out = neg ? (uint32_t)(0u - (uint32_t)m) : (uint32_t)m;
    return true;
}

bool wat_num_i64(const char *s, size_t n, uint64_t *out)
{
    uint64_t m;
    bool neg;
    if (!parse_int(s, n, &m, &neg))
        return false;
    if (neg && m > 0x8000000000000000ull)
        return false;
    *out = neg ? 0 - m : m;
    return true;
}

/* Check float syntax (after the sign) and copy it without underscores into buf (NUL-terminated).
 * Returns 1 for a finite number, 2 for inf, 3 for nan, 4 for nan:0x (payload in *payload), 0 if malformed. */
static int scan_float(const char *s, const char *e, char *buf, uint64_t *payload)
{
    size_t n = (size_t)(e - s);
    if (n == 3 && memcmp(s, "inf", 3) == 0)
        return 2;
    if (n == 3 && memcmp(s, "nan", 3) == 0)
        return 3;
    if (n > 6 && memcmp(s, "nan:0x", 6) == 0)
        return parse_mag(s + 4, e, payload) ? 4 : 0;
    bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
    const char *p = hex ? s + 2 : s;
    if (!scan_digits(&p, e, hex))
        return 0;
    if (p < e && *p == '.') {
        p++;
        if (p < e && digit_val(*p, hex) >= 0 && !scan_digits(&p, e, hex))
            return 0;
    }
    if (p < e && (hex ? (*p == 'p' || *p == 'P') : (*p == 'e' || *p == 'E'))) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (!scan_digits(&p, e, false))
            return 0;
    }
    if (p != e)
        return 0;
    size_t j = 0;
    for (const char *q = s; q < e; q++)
        if (*q != '_')
            buf[j++] = *q;
    buf[j] = '\0';
    return 1;
}

/* Shared front end: sign, kind, and a NUL-terminated copy for strtod/strtof. */
static int float_front(const char *s, size_t n, bool *neg, char **buf, uint64_t *payload)
{
    const char *e = s + n;
    *neg = false;
    if (s < e && (*s == '+' || *s == '-')) {
        *neg = *s == '-';
        s++;
    }
    *buf = malloc((size_t)(e - s) + 1);
    if (!*buf)
        return 0;
    int kind = scan_float(s, e, *buf, payload);
    if (kind == 0) {
        free(*buf);
        *buf = NULL;
    }
    return kind;
}

bool wat_num_f32(const char *s, size_t n, uint32_t *bits)
{
    bool neg;
    char *buf;
    uint64_t payload = 0;
    int kind = float_front(s, n, &neg, &buf, &payload);
    uint32_t b = 0;
    switch (kind) {
    case 0:
        return false;
    case 1: {
        errno = 0;
        float f = strtof(buf, NULL);
        if (isinf(f)) {
            free(buf);
            return false;
        }
        memcpy(&b, &f, 4);
        b &= 0x7FFFFFFFu;
        break;
    }
    case 2: b = 0x7F800000u; break;
    case 3: b = 0x7FC00000u; break;
    case 4:
        if (payload == 0 || payload >= (1u << 23)) {
            free(buf);
            return false;
        }
        b = 0x7F800000u | (uint32_t)payload;
        break;
    }
    free(buf);
    *bits = b | (neg ? 0x80000000u : 0);
    return true;
}

bool wat_num_f64(const char *s, size_t n, uint64_t *bits)
{
    bool neg;
    char *buf;
    uint64_t payload = 0;
    int kind = float_front(s, n, &neg, &buf, &payload);
    uint64_t b = 0;
    switch (kind) {
    case 0:
        return false;
    case 1: {
        double d = strtod(buf, NULL);
        if (isinf(d)) {
            free(buf);
            return false;
        }
        memcpy(&b, &d, 8);
        b &= 0x7FFFFFFFFFFFFFFFull;
        break;
    }
    case 2: b = 0x7FF0000000000000ull; break;
    case 3: b = 0x7FF8000000000000ull; break;
    case 4:
        if (payload == 0 || payload >= (1ull << 52)) {
            free(buf);
            return false;
        }
        b = 0x7FF0000000000000ull | payload;
        break;
    }
    free(buf);
    *bits = b | (neg ? 0x8000000000000000ull : 0);
    return true;
}

bool wat_num_is_int(const char *s, size_t n)
{
    const char *e = s + n;
    if (s < e && (*s == '+' || *s == '-'))
        s++;
    bool hex = e - s > 2 && s[0] == '0' && s[1] == 'x';
    const char *q = hex ? s + 2 : s;
    return scan_digits(&q, e, hex) && q == e;
}

bool wat_num_is_float(const char *s, size_t n)
{
    bool neg;
    char *buf = NULL;
    uint64_t payload;
    int kind = float_front(s, n, &neg, &buf, &payload);
    free(buf);
    return kind != 0;
}
