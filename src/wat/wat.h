/* wat.h: the WebAssembly text format (.wat) to binary (.wasm): WebAssembly 2.0 without SIMD. */
#ifndef LODGE_WAT_WAT_H
#define LODGE_WAT_WAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lodge.h"

/* Convert a text module (`(module ...)` or its fields alone) to a binary module with a name section
 * built from the $ids. On success *out is malloc'd (caller frees) and *out_len set. On failure returns
 * false with err->status LODGE_ERR_MALFORMED (or NOMEM) and a message "LINE:COLUMN: what". Thread-safe:
 * no state outside the call. */
bool wat_to_wasm(const char *text, size_t len, uint8_t **out, size_t *out_len, lodge_error_t *err);

enum {
    WAT_NO_NAMES = 1 << 0,  /* leave out the name section (what wabt's wast2json writes by default) */
};
/* wat_to_wasm with WAT_* flags. */
bool wat_to_wasm_flags(const char *text, size_t len, unsigned flags, uint8_t **out, size_t *out_len,
                       lodge_error_t *err);

#endif
