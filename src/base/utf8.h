/* utf8.h: UTF-8 validation for names (the spec rejects overlongs, surrogates and values past U+10FFFF). */
#ifndef LODGE_BASE_UTF8_H
#define LODGE_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool utf8_valid(const uint8_t *s, size_t n);

#endif
