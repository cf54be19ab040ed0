/* value.h: conversions between the public lodge_val_t and the interpreter's untyped Slot. */
#ifndef LODGE_WASM_VALUE_H
#define LODGE_WASM_VALUE_H

#include "wasm/runtime.h"

Slot value_to_slot(lodge_val_t v);
lodge_val_t value_from_slot(ValType t, Slot s);

#endif
