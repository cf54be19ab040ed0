/* table.c: column layout for the client's tables (table.h). */
#include <stdlib.h>
#include <string.h>

#include "mgr/table.h"

void table_init(Table *t, int ncols, const char *const *heads)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols < TABLE_MAX_COLS ? ncols : TABLE_MAX_COLS;
    for (int i = 0; i < t->ncols; i++)
        t->heads[i] = heads[i];
}

int table_add(Table *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * (size_t)t->ncols * sizeof *cells);
        if (!cells)
            return 0;
        t->cells = cells;
        t->cap = cap;
    }
    char **dst = t->cells + t->nrows * (size_t)t->ncols;
    for (int i = 0; i < t->ncols; i++)
        dst[i] = strdup(row[i] ? row[i] : "-");
    t->nrows++;
    return 1;
}

void table_print(const Table *t, FILE *out)
{
    size_t width[TABLE_MAX_COLS];
    for (int c = 0; c < t->ncols; c++) {
        width[c] = strlen(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            if (s && strlen(s) > width[c])
                width[c] = strlen(s);
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? t->heads[c] : t->cells[(r - 1) * (size_t)t->ncols + (size_t)c];
            if (!s)
                s = "?";   /* strdup failed */
            if (c == t->ncols - 1)
                fprintf(out, "%s\n", s);
            else
                fprintf(out, "%-*s  ", (int)width[c], s);
        }
    }
}

void table_free(Table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void table_duration(uint64_t s, char *buf, size_t n)
{
    if (s < 60)
        snprintf(buf, n, "%llus", (unsigned long long)s);
    else if (s < 3600)
        snprintf(buf, n, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, n, "%lluh%02llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
    else
        snprintf(buf, n, "%llud%02lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
}

void table_cpu_time(uint64_t ns, char *buf, size_t n)
{
    double s = (double)ns / 1e9;
    if (s < 10)
        snprintf(buf, n, "%.2fs", s);
    else if (s < 60)
        snprintf(buf, n, "%.1fs", s);
    else
        table_duration((uint64_t)s, buf, n);
}
