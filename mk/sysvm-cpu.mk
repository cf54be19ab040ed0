# The RV64GC hart's instruction-level tests (tests/sysvm-cpu/): the bare-metal harness, linked against
# liblodge.a; the test programs themselves are assembled at test time by tests/sysvm-cpu/run.sh.
# FP arithmetic changes the host rounding mode at run time: keep the compiler from folding across it.
$(BUILD)/src/sysvm/riscv/fpu.o: override CFLAGS += -frounding-math

$(BUILD)/sysvm-cpu-harness: $(BUILD)/tests/sysvm-cpu/harness.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/sysvm-cpu-harness

# Keep one indirect jump per handler: GCC merging them (cross-jumping, GCSE) makes dispatch mispredict.
# Clang keeps them apart on its own and rejects these flags.
ifeq ($(shell $(CC) --version 2>/dev/null | grep -c clang),0)
$(BUILD)/src/sysvm/riscv/interp.o: override CFLAGS += -fno-gcse -fno-crossjumping
endif
