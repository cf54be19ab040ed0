/* A flattened device tree (DTB, version 17) writer of our own, and a strict checker that walks a blob.
 * The writer records the first misuse (unbalanced nodes, out of memory) and reports it at fdt_finish. */
#ifndef LODGE_SYSVM_FDT_H
#define LODGE_SYSVM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "sysvm/vmerr.h"

typedef struct Fdt {
    uint8_t *dt;                 /* structure block */
    size_t dt_len, dt_cap;
    char *str;                   /* strings block */
    size_t str_len, str_cap;
    int depth;
    bool failed;
    char why[96];
    uint32_t next_phandle;
    Alloc *alloc;                /* the owner's accounted allocator; NULL: plain malloc */
} Fdt;

#define FDT_MAGIC 0xd00dfeedu
#define FDT_MAX_DEPTH 32

/* alloc may be NULL. */
void fdt_init(Fdt *f, Alloc *alloc);
void fdt_free(Fdt *f);
/* The root node's name is "". */
void fdt_begin_node(Fdt *f, const char *name);
void fdt_end_node(Fdt *f);
void fdt_prop(Fdt *f, const char *name, const void *data, size_t len);
void fdt_prop_empty(Fdt *f, const char *name);
void fdt_prop_u32(Fdt *f, const char *name, uint32_t v);
void fdt_prop_u64(Fdt *f, const char *name, uint64_t v);
void fdt_prop_str(Fdt *f, const char *name, const char *s);
/* A string list given as "a\0b\0" with its total length (including the last NUL). */
void fdt_prop_strs(Fdt *f, const char *name, const char *list, size_t len);
void fdt_prop_cells(Fdt *f, const char *name, const uint32_t *cells, size_t n);
/* Allocates a fresh phandle number (1, 2, ...). */
uint32_t fdt_alloc_phandle(Fdt *f);
/* Builds the blob (*len bytes from f->alloc; the caller frees it) with boot_cpuid_phys 0. NULL with a message on any earlier misuse. */
uint8_t *fdt_finish(Fdt *f, size_t *len, VmError *err);

/* Checks a blob strictly: header, bounds of every block, tokens, NUL-terminated names, property name offsets,
 * balanced nodes, and an FDT_END. Never reads outside [blob, blob+len). */
bool fdt_check(const uint8_t *blob, size_t len, VmError *err);
/* Finds property `prop` of the node at `path` ("/", "/chosen", "/soc/serial@10000000"), in a blob that passed
 * fdt_check. Returns a pointer into the blob and its length, or NULL. */
const uint8_t *fdt_get_prop(const uint8_t *blob, size_t len, const char *path, const char *prop, uint32_t *plen);

#endif
