/* encode.c: assembles the binary module from the sections the parser encoded, in the binary format's
 * section order, with minimal LEB128 sizes, and optionally a "name" section from the $ids. */
#include "wat/parse.h"

static void section(WatBuf *out, uint8_t id, uint32_t count, const WatBuf *entries)
{
    if (count == 0)
        return;
    WatBuf payload = {0};
    wat_buf_u32(&payload, count);
    wat_buf_bytes(&payload, entries->data, entries->len);
    if (entries->oom)
        payload.oom = true;
    wat_buf_section(out, id, &payload);
    wat_buf_free(&payload);
}

/* Subsection of the name section from one index space's $ids (without the '$'). */
static void name_map(WatBuf *names, uint8_t sub, const WatModule *m, const WatSpace *s)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < s->n; i++)
        count += s->v[i].len > 0;
    if (!count)
        return;
    WatBuf b = {0};
    wat_buf_u32(&b, count);
    for (uint32_t i = 0; i < s->n; i++)
        if (s->v[i].len) {
            wat_buf_u32(&b, i);
            wat_buf_name(&b, m->text + s->v[i].pos + 1, s->v[i].len - 1);
        }
    wat_buf_section(names, sub, &b);
    wat_buf_free(&b);
}

bool wat_encode(const WatModule *m, bool names, WatBuf *out)
{
    static const uint8_t header[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    wat_buf_bytes(out, header, sizeof header);

    WatBuf types = {0};
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wat_buf_byte(&types, 0x60);
        wat_buf_name(&types, m->types[i].params.data, m->types[i].params.len);
        wat_buf_name(&types, m->types[i].results.data, m->types[i].results.len);
    }
    section(out, 1, m->ntypes, &types);
    wat_buf_free(&types);
    section(out, 2, m->nimports, &m->imports);
    section(out, 3, m->nfuncdefs, &m->funcs);
    section(out, 4, m->ntabledefs, &m->tables);
    section(out, 5, m->nmemdefs, &m->mems);
    section(out, 6, m->nglobaldefs, &m->globals);
    section(out, 7, m->nexports, &m->exports);
    if (m->has_start) {
        WatBuf s = {0};
        wat_buf_u32(&s, m->start);
        wat_buf_section(out, 8, &s);
        wat_buf_free(&s);
    }
    section(out, 9, m->nelems, &m->elems);
    if (m->ndatas && m->uses_data_count) {
        WatBuf s = {0};
        wat_buf_u32(&s, m->ndatas);
        wat_buf_section(out, 12, &s);
        wat_buf_free(&s);
    }
    section(out, 10, m->ncode, &m->code);
    section(out, 11, m->ndatas, &m->datas);

    if (names) {
        WatBuf n = {0};
        wat_buf_name(&n, "name", 4);
        if (m->name.len) {
            WatBuf b = {0};
            wat_buf_name(&b, m->text + m->name.pos + 1, m->name.len - 1);
            wat_buf_section(&n, 0, &b);
            wat_buf_free(&b);
        }
        name_map(&n, 1, m, &m->func_ids);
        if (m->nlocal_named) {
            WatBuf b = {0};
            wat_buf_u32(&b, m->nlocal_named);
            wat_buf_bytes(&b, m->local_names.data, m->local_names.len);
            wat_buf_section(&n, 2, &b);
            wat_buf_free(&b);
        }
        if (n.len > 5)
            wat_buf_section(out, 0, &n);
        wat_buf_free(&n);
    }
    return !out->oom;
}
