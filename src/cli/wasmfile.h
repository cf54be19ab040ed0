/* wasmfile.h: what inspect and disasm share: decoding a file into the internal Module, and names. */
#ifndef LODGE_CLI_WASMFILE_H
#define LODGE_CLI_WASMFILE_H

#include "lodge.h"
#include "wasm/module.h"

/* Decode FILE (no validation, so even an invalid module can be looked at). Prints errors; NULL on failure.
 * Free with wasmfile_close. */
Module *wasmfile_open(lodge_engine_t *engine, const char *path);
void wasmfile_close(Module *m);
const char *wasmfile_valtype(ValType t);
/* "(param i32 i64) (result f32)" into buf. */
void wasmfile_functype(const FuncType *t, char *buf, size_t n);
/* A function's name from the name section or its export, else NULL. */
const char *wasmfile_func_name(const Module *m, uint32_t idx);

#endif
