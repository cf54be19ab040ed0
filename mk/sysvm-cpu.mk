# The RV64GC hart's instruction-level tests (tests/sysvm-cpu/): the bare-metal harness, linked against
# liblodge.a; the test programs themselves are assembled at test time by tests/sysvm-cpu/run.sh.
# FP arithmetic changes the host rounding mode at run time: keep the compiler from folding across it.
$(BUILD)/src/sysvm/riscv/fpu.o: override CFLAGS += -frounding-math

$(BUILD)/sysvm-cpu-harness: $(BUILD)/tests/sysvm-cpu/harness.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/sysvm-cpu-harness
