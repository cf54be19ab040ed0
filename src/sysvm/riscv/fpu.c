/* placeholder */
#include "sysvm/riscv/cpu.h"
bool riscv_fpu_exec(Hart *h, const RvInsn *in) { (void)in; riscv_trap_raise(h, RV_EXC_ILLEGAL, 0); return false; }
