/* num.h: the text format's numeric literals (decimal and hex integers, decimal and hex floats, inf,
 * nan, nan:0x..., underscores between digits) converted to bit patterns. Each returns false when the
 * literal is malformed or out of range for its type. */
#ifndef LODGE_WAT_NUM_H
#define LODGE_WAT_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool wat_num_u32(const char *s, size_t n, uint32_t *out);   /* unsigned, no sign (indices, limits) */
bool wat_num_u64(const char *s, size_t n, uint64_t *out);   /* unsigned, no sign */
bool wat_num_i32(const char *s, size_t n, uint32_t *out);   /* signed or unsigned, as bits */
bool wat_num_i64(const char *s, size_t n, uint64_t *out);
bool wat_num_f32(const char *s, size_t n, uint32_t *bits);
bool wat_num_f64(const char *s, size_t n, uint64_t *bits);
/* Syntax only (any magnitude): tells "constant out of range" from a malformed literal. */
bool wat_num_is_int(const char *s, size_t n);
bool wat_num_is_float(const char *s, size_t n);

#endif
