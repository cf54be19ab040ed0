/* summary.c: what a module exports and with which result types, from a parsed text module or by reading
 * a binary module's type, import, function, global and export sections. Scripts need it to write the
 * "expected" types of actions, as wast2json does. */
#include <stdlib.h>

#include "wat/summary.h"

static WatExportInfo *add_export(WatSummary *sm)
{
    WatExportInfo *nv = realloc(sm->ex, (sm->nex + 1) * sizeof *nv);
    if (!nv)
        return NULL;
    sm->ex = nv;
    WatExportInfo *e = &sm->ex[sm->nex++];
    memset(e, 0, sizeof *e);
    return e;
}

void wat_summary_text(const WatModule *m, WatSummary *sm)
{
    for (uint32_t i = 0; i < m->nexports; i++) {
        const WatExport *we = &m->export_list[i];
        WatExportInfo *e = add_export(sm);
        if (!e)
            return;
        if (we->name_len) /* an empty name may sit in a still-empty buffer: no pointer arithmetic on NULL */
            wat_buf_bytes(&e->name, m->export_names.data + we->name_off, we->name_len);
        e->kind = we->kind;
        if (we->kind == 0 && we->index < m->func_ids.n && m->func_type[we->index] < m->ntypes) {
            const WatType *t = &m->types[m->func_type[we->index]];
            wat_buf_bytes(&e->types, t->results.data, t->results.len);
        } else if (we->kind == 3 && we->index < m->global_ids.n) {
            wat_buf_byte(&e->types, m->global_type[we->index]);
        }
    }
}

/* Minimal reader of a binary module's types, imports, functions, globals and exports. Stops quietly at
 * anything malformed: the summary is only used for result types of later actions. */
static bool rd_u32(const uint8_t *b, size_t end, size_t *i, uint32_t *v)
{
    uint32_t r = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (*i >= end)
            return false;
        uint8_t c = b[(*i)++];
        r |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

void wat_summary_binary(const uint8_t *b, size_t n, WatSummary *sm)
{
    WatBuf *types = NULL;       /* results of each type */
    uint32_t ntypes = 0, nfuncs = 0, nglobals = 0;
    uint32_t *ftype = NULL;
    uint8_t *gtype = NULL;
    size_t i = 8;
    if (n < 8)
        return;
    while (i < n) {
        uint8_t id = b[i++];
        uint32_t size, count;
        if (!rd_u32(b, n, &i, &size) || size > n - i)
            break;
        size_t end = i + size, j = i;
        i = end;
        if (id == 0 || id == 12 || !rd_u32(b, end, &j, &count))
            continue;
        for (uint32_t k = 0; k < count; k++) {
            if (j > end) /* an init expression skipped past the section's end */
                goto done;
            if (id == 1) {
                uint32_t np, nr;
                if (j >= end || b[j++] != 0x60 || !rd_u32(b, end, &j, &np) || np > end - j)
                    goto done;
                j += np;
                if (!rd_u32(b, end, &j, &nr) || nr > end - j)
                    goto done;
                WatBuf *nt = realloc(types, (ntypes + 1) * sizeof *nt);
                if (!nt)
                    goto done;
                types = nt;
                memset(&types[ntypes], 0, sizeof types[0]);
                wat_buf_bytes(&types[ntypes++], b + j, nr);
                j += nr;
            } else if (id == 2) {
                uint32_t l;
                for (int s = 0; s < 2; s++) {
                    if (!rd_u32(b, end, &j, &l) || l > end - j)
                        goto done;
                    j += l;
                }
                if (j >= end)
                    goto done;
                uint8_t kind = b[j++];
                if (kind == 0) {
                    uint32_t t;
                    uint32_t *nf = realloc(ftype, (nfuncs + 1) * sizeof *nf);
                    if (!nf || !rd_u32(b, end, &j, &t)) {
                        if (nf)
                            ftype = nf;
                        goto done;
                    }
                    ftype = nf;
                    ftype[nfuncs++] = t;
                } else if (kind == 1) {
                    uint32_t fl, v;
                    if (j >= end)
                        goto done;
                    j++;
                    if (!rd_u32(b, end, &j, &fl) || !rd_u32(b, end, &j, &v) || ((fl & 1) && !rd_u32(b, end, &j, &v)))
                        goto done;
                } else if (kind == 2) {
                    uint32_t fl, v;
                    if (!rd_u32(b, end, &j, &fl) || !rd_u32(b, end, &j, &v) || ((fl & 1) && !rd_u32(b, end, &j, &v)))
                        goto done;
                } else if (kind == 3) {
                    if (end - j < 2)
                        goto done;
                    uint8_t *ng = realloc(gtype, nglobals + 1);
                    if (!ng)
                        goto done;
                    gtype = ng;
                    gtype[nglobals++] = b[j];
                    j += 2;
                } else {
                    goto done;
                }
            } else if (id == 3) {
                uint32_t t;
                uint32_t *nf = realloc(ftype, (nfuncs + 1) * sizeof *nf);
                if (!nf)
                    goto done;
                ftype = nf;
                if (!rd_u32(b, end, &j, &t))
                    goto done;
                ftype[nfuncs++] = t;
            } else if (id == 6) {
                /* Only the types matter; skip the init expression up to its end byte (0x0B) naively. */
                if (end - j < 2)
                    goto done;
                uint8_t *ng = realloc(gtype, nglobals + 1);
                if (!ng)
                    goto done;
                gtype = ng;
                gtype[nglobals++] = b[j];
                j += 2;
                while (j < end && b[j] != 0x0B) {
                    uint8_t op = b[j++];
                    if (op == 0x43)
                        j += 4;
                    else if (op == 0x44)
                        j += 8;
                    else if (op == 0xD0)
                        j++;
                    else {
                        while (j < end && (b[j] & 0x80))
                            j++;
                        j++;
                    }
                }
                j++;
            } else if (id == 7) {
                uint32_t l, idx;
                if (!rd_u32(b, end, &j, &l) || l > end - j)
                    goto done;
                WatExportInfo *e = add_export(sm);
                if (!e)
                    goto done;
                wat_buf_bytes(&e->name, b + j, l);
                j += l;
                if (j >= end)
                    goto done;
                e->kind = b[j++];
                if (!rd_u32(b, end, &j, &idx))
                    goto done;
                if (e->kind == 0 && idx < nfuncs && ftype[idx] < ntypes)
                    wat_buf_bytes(&e->types, types[ftype[idx]].data, types[ftype[idx]].len);
                else if (e->kind == 3 && idx < nglobals)
                    wat_buf_byte(&e->types, gtype[idx]);
            } else {
                break;
            }
        }
    }
done:
    for (uint32_t k = 0; k < ntypes; k++)
        wat_buf_free(&types[k]);
    free(types);
    free(ftype);
    free(gtype);
}

void wat_summary_free(WatSummary *sm)
{
    for (uint32_t i = 0; i < sm->nex; i++) {
        wat_buf_free(&sm->ex[i].name);
        wat_buf_free(&sm->ex[i].types);
    }
    free(sm->ex);
    sm->ex = NULL;
    sm->nex = 0;
}

