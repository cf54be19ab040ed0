/* The machine behind a public lodge_machine_t, for Lodge's own tools (`lodge boot --trace`, --dump-dtb,
 * --disasm-at) that reach past the public API. Touch it only while the machine does not run. */
#ifndef LODGE_SYSVM_API_H
#define LODGE_SYSVM_API_H

#include "lodge.h"
#include "sysvm/machine.h"

Machine *api_machine(const lodge_machine_t *m);

#endif
