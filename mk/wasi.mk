# mk/wasi.mk: the WASI test programs tests/wasi/*.c into $(BUILD)/tests/wasi/*.wasm (and native twins
# of the n_* ones, for the tests that compare Lodge's output with the same C run natively), the WASI
# benchmarks bench/wasi/*.c, and how build/lodge is linked. The compiler settings are in
# mk/examples.mk.
WASITEST_NAMES := $(sort $(basename $(notdir $(wildcard tests/wasi/*.c))))
WASITEST_WASM  := $(WASITEST_NAMES:%=$(BUILD)/tests/wasi/%.wasm)
WASITEST_NATIVE:= $(patsubst %,$(BUILD)/tests/wasi/%.native,$(filter n_%,$(WASITEST_NAMES)))
WASIBENCH_NAMES:= $(sort $(basename $(notdir $(wildcard bench/wasi/*.c))))
WASIBENCH_WASM := $(WASIBENCH_NAMES:%=$(BUILD)/bench/wasi/%.wasm)
WASIBENCH_NATIVE:= $(WASIBENCH_NAMES:%=$(BUILD)/bench/wasi/%.native)

.PHONY: wasi-tests wasi-bench
wasi-tests: examples $(WASITEST_WASM) $(WASITEST_NATIVE)
CHECK_DEPS += wasi-tests

$(BUILD)/tests/wasi/%.wasm: tests/wasi/%.c tests/wasi/check.h
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -o $@ $< $(WASI_LDFLAGS)

$(BUILD)/tests/wasi/%.native: tests/wasi/%.c tests/wasi/check.h
	@mkdir -p $(dir $@)
	$(NATIVE_CC) -O2 $(WASI_WARN) -o $@ $< -lm

wasi-bench: $(BUILD)/lodge $(WASIBENCH_WASM) $(WASIBENCH_NATIVE) $(BUILD)/bench/wasi/timeit
	BUILD=$(BUILD) bench/wasi/run.sh

$(BUILD)/bench/wasi/timeit: bench/wasi/timer/timeit.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) -O2 $(WASI_WARN) -o $@ $<

$(BUILD)/bench/wasi/%.wasm: bench/wasi/%.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -o $@ $< $(WASI_LDFLAGS)

$(BUILD)/bench/wasi/%.native: bench/wasi/%.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) -O2 $(WASI_WARN) -o $@ $< -lm

# lodge run's start-up is part of every WASI program's whole-process time: a statically linked lodge
# skips the dynamic loader's work (mapping libc and libm, relocating, resolving symbols), which is
# about a quarter of a hello-world run. Sanitizer builds need the dynamic runtime, so only plain ones.
ifeq ($(SAN),)
$(BUILD)/lodge: LDFLAGS += -static
endif
