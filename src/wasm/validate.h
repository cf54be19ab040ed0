/* validate.h: helpers the validator shares with the lowering and the disassembler. */
#ifndef LODGE_WASM_VALIDATE_H
#define LODGE_WASM_VALIDATE_H

#include <stdint.h>

/* Bytes accessed by a load or store opcode. */
unsigned validate_mem_size(uint16_t op);
/* qsort comparator over const Export * by name bytes. */
int validate_export_cmp(const void *a, const void *b);

#endif
