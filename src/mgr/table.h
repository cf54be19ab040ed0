/* mgr/table.h: the client's tables (ps, stats): columns as wide as their widest cell, two spaces apart, the
 * way `docker ps` and `virsh list` print them; and the short forms of times used in them. */
#ifndef LODGE_MGR_TABLE_H
#define LODGE_MGR_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TABLE_MAX_COLS 12

typedef struct Table {
    int ncols;
    const char *heads[TABLE_MAX_COLS];
    char **cells;        /* nrows * ncols strings, malloc'd */
    size_t nrows, cap;
} Table;

void table_init(Table *t, int ncols, const char *const *heads);
/* Appends a row of ncols strings (copied; NULL prints as "-"). False when out of memory. */
int table_add(Table *t, const char *const *row);
void table_print(const Table *t, FILE *out);
void table_free(Table *t);

/* "45s", "3m12s", "2h05m", "4d03h". */
void table_duration(uint64_t seconds, char *buf, size_t n);
/* CPU time: "0.12s", "12.3s", "3m12s". */
void table_cpu_time(uint64_t ns, char *buf, size_t n);

#endif
