/* base/size.h: sizes people type (command lines, the hypervisor's clients), one convention everywhere:
 * a number with a binary suffix K, M, G, T (or KiB, MiB, GiB, TiB; any case) is that many 1024^n bytes, and a
 * bare number is bytes. No unit is ever guessed: where a count of MiB is plausible ("--mem 256"), a bare
 * number too small to be meant as bytes is refused with a message that suggests the suffix. */
#ifndef LODGE_BASE_SIZE_H
#define LODGE_BASE_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a size option accepts. All zero: any size from 0 up. */
typedef struct SizeRule {
    uint64_t min;        /* the smallest size accepted, bytes */
    uint64_t max;        /* the largest, bytes; 0: no limit */
    uint64_t bare_min;   /* a bare number below this is refused as a likely unit slip; 0: never */
} SizeRule;

/* Parse text as a size in bytes. False with a one-line reason in err (no option name, no newline):
 * "expected a number of bytes or ...", "a bare number is bytes: write 256M for 256 MiB", ... */
bool size_parse(const char *text, const SizeRule *rule, uint64_t *out, char *err, size_t errlen);

/* Parse a plain decimal count (harts, fuel, weights) in [min, max]; no suffixes, no sign. */
bool size_parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);

/* The exact size in the largest unit that divides it: "256M", "1G", "1536K", "100". */
void size_format(uint64_t bytes, char *buf, size_t n);
/* For tables: at most one decimal, rounded: "1.5G", "256M", "12.3K", "100B". */
void size_format_short(uint64_t bytes, char *buf, size_t n);

#endif
