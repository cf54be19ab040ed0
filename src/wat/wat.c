/* wat.c: the text-to-binary entry point: lex, parse the module, encode. */
#include <stdlib.h>

#include "wat/parse.h"
#include "wat/wat.h"

bool wat_convert(const char *text, size_t len, unsigned flags, WatBuf *out,
                 void (*visit)(const WatModule *m, void *ctx), void *ctx, lodge_error_t *err)
{
    WatToken *toks = NULL;
    size_t ntoks = 0;
    if (err)
        err->status = LODGE_OK;
    if (!wat_lex(text, len, &toks, &ntoks, err))
        return false;
    WatParser *p = calloc(1, sizeof *p);
    WatModule m = {0};
    bool ok = false;
    if (!p) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        goto done;
    }
    p->text = text;
    p->toks = toks;
    p->ntoks = ntoks;
    p->err = err;
    wat_instr_init_table(p);
    bool wrapped = wat_at_lpar_kw(p, "module");
    const WatToken *id = NULL;
    if (wrapped) {
        p->pos += 2;
        if (wat_at(p, WAT_TOK_ID))
            id = &toks[p->pos++];
    }
    if (!wat_module_parse(p, &m))
        goto done;
    if (id) {
        m.name.pos = id->pos;
        m.name.len = id->len;
    }
    if (wrapped && !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
        goto done;
    if (!wat_at(p, WAT_TOK_EOF)) {
        wat_parse_fail(p, "unexpected token after the module");
        goto done;
    }
    if (!wat_encode(&m, !(flags & WAT_NO_NAMES), out)) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (visit)
        visit(&m, ctx);
    ok = true;
done:
    wat_module_free(&m);
    free(p);
    free(toks);
    return ok;
}

bool wat_to_wasm_flags(const char *text, size_t len, unsigned flags, uint8_t **out, size_t *out_len,
                       lodge_error_t *err)
{
    WatBuf bin = {0};
    if (!wat_convert(text, len, flags, &bin, NULL, NULL, err)) {
        wat_buf_free(&bin);
        return false;
    }
    *out = bin.data;
    *out_len = bin.len;
    return true;
}

bool wat_to_wasm(const char *text, size_t len, uint8_t **out, size_t *out_len, lodge_error_t *err)
{
    return wat_to_wasm_flags(text, len, 0, out, out_len, err);
}
