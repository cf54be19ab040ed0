/* size.c: the one size convention (see size.h): parsing with messages that say what to type instead, and
 * the two ways sizes are printed back. */
#include <stdio.h>
#include <string.h>

#include "base/size.h"

static const char units[] = "KMGT";

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* The decimal digits at *p, advancing it; false on overflow or when there is no digit. */
static bool read_decimal(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The power of 1024 a suffix names: "" and "B" 0, "K"/"KiB" 1, ... ; -1 unknown, -2 a decimal-looking
 * "KB"/"MB"/... that we refuse to guess about. */
static int suffix_power(const char *s)
{
    if (*s == '\0' || ((*s == 'b' || *s == 'B') && s[1] == '\0'))
        return 0;
    const char *u = strchr(units, *s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
    if (!u || !*s)
        return -1;
    int power = (int)(u - units) + 1;
    if (s[1] == '\0')
        return power;
    if (lower(s[1]) == 'i' && lower(s[2]) == 'b' && s[3] == '\0')
        return power;
    if (lower(s[1]) == 'b' && s[2] == '\0')
        return -2;
    return -1;
}

bool size_parse(const char *text, const SizeRule *rule, uint64_t *out, char *err, size_t errlen)
{
    static const SizeRule any = {0, 0, 0};
    char msg[256];
    if (!rule)
        rule = &any;
    const char *p = text ? text : "";
    uint64_t v;
    if (!read_decimal(&p, &v)) {
        if (*p >= '0' && *p <= '9')
            set_err(err, errlen, "too large");
        else
            set_err(err, errlen, "expected a number of bytes, or a number with a suffix K, M, G or T (64M, 1G)");
        return false;
    }
    int power = suffix_power(p);
    if (power == -2) {
        char unit = (char)(p[0] & ~0x20);
        snprintf(msg, sizeof msg, "'%s' is ambiguous (1000 or 1024?): write %llu%c or %llu%ciB (binary units)", p,
                 (unsigned long long)v, unit, (unsigned long long)v, unit);
        set_err(err, errlen, msg);
        return false;
    }
    if (power < 0) {
        snprintf(msg, sizeof msg, "unknown unit '%s' (sizes take K, M, G or T, or KiB, MiB, GiB, TiB: 1024^n "
                 "bytes; a bare number is bytes)", p);
        set_err(err, errlen, msg);
        return false;
    }
    if (power == 0 && p[0] == '\0' && rule->bare_min && v == 0) {
        set_err(err, errlen, "0 cannot be meant here (sizes: 64M, 1G; a bare number is bytes)");
        return false;
    }
    if (power == 0 && p[0] == '\0' && rule->bare_min && v < rule->bare_min) {
        snprintf(msg, sizeof msg, "a bare number is bytes, and %llu bytes cannot be meant here: write %lluM for "
                 "%llu MiB (or %lluK for KiB)", (unsigned long long)v, (unsigned long long)v,
                 (unsigned long long)v, (unsigned long long)v);
        set_err(err, errlen, msg);
        return false;
    }
    unsigned shift = 10u * (unsigned)power;
    if (shift && v > (UINT64_MAX >> shift)) {
        set_err(err, errlen, "too large");
        return false;
    }
    v <<= shift;
    char lim[32];
    if (v < rule->min) {
        size_format(rule->min, lim, sizeof lim);
        snprintf(msg, sizeof msg, "too small: at least %s", lim);
        set_err(err, errlen, msg);
        return false;
    }
    if (rule->max && v > rule->max) {
        size_format(rule->max, lim, sizeof lim);
        snprintf(msg, sizeof msg, "too large: at most %s", lim);
        set_err(err, errlen, msg);
        return false;
    }
    *out = v;
    return true;
}

bool size_parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    char msg[96];
    const char *p = text ? text : "";
    uint64_t v;
    if (!read_decimal(&p, &v) || *p != '\0' || v < min || v > max) {
        if (max == UINT64_MAX)
            snprintf(msg, sizeof msg, "expected a whole number of at least %llu", (unsigned long long)min);
        else
            snprintf(msg, sizeof msg, "expected a whole number from %llu to %llu", (unsigned long long)min,
                     (unsigned long long)max);
        set_err(err, errlen, msg);
        return false;
    }
    *out = v;
    return true;
}

void size_format(uint64_t bytes, char *buf, size_t n)
{
    int power = 0;
    while (power < 4 && bytes && (bytes & 1023) == 0) {
        bytes >>= 10;
        power++;
    }
    if (power)
        snprintf(buf, n, "%llu%c", (unsigned long long)bytes, units[power - 1]);
    else
        snprintf(buf, n, "%llu", (unsigned long long)bytes);
}

void size_format_short(uint64_t bytes, char *buf, size_t n)
{
    if (bytes < 1024) {
        snprintf(buf, n, "%lluB", (unsigned long long)bytes);
        return;
    }
    int power = 1;
    double v = (double)bytes / 1024.0;
    while (power < 4 && v >= 1023.95) {
        v /= 1024.0;
        power++;
    }
    uint64_t tenths = (uint64_t)(v * 10.0 + 0.5);
    if (v >= 99.95 || tenths % 10 == 0)
        snprintf(buf, n, "%.0f%c", v, units[power - 1]);
    else
        snprintf(buf, n, "%.1f%c", v, units[power - 1]);
}
