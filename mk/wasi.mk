# mk/wasi.mk: C programs compiled to WASI bytecode: examples/*.c into $(BUILD)/examples/*.wasm, the
# WASI test programs tests/wasi/*.c into $(BUILD)/tests/wasi/*.wasm (and native twins of both, for the
# tests that compare Lodge's output with the same C run natively), and bench/wasi/*.c.
# Debian's clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 are all it needs: the sysroot is /usr.
WASI_CC      ?= clang
WASI_WARN     = -Wall -Wextra -Werror
WASI_CFLAGS   = --target=wasm32-wasi --sysroot=/usr -O2 $(WASI_WARN)
WASI_LDFLAGS  = -Wl,--strip-debug
NATIVE_CC    ?= cc

EXAMPLE_NAMES  := $(sort $(basename $(notdir $(wildcard examples/*.c))))
EXAMPLE_WASM   := $(EXAMPLE_NAMES:%=$(BUILD)/examples/%.wasm)
EXAMPLE_NATIVE := $(EXAMPLE_NAMES:%=$(BUILD)/examples/%.native)
WASITEST_NAMES := $(sort $(basename $(notdir $(wildcard tests/wasi/*.c))))
WASITEST_WASM  := $(WASITEST_NAMES:%=$(BUILD)/tests/wasi/%.wasm)
WASITEST_NATIVE:= $(patsubst %,$(BUILD)/tests/wasi/%.native,$(filter n_%,$(WASITEST_NAMES)))
WASIBENCH_NAMES:= $(sort $(basename $(notdir $(wildcard bench/wasi/*.c))))
WASIBENCH_WASM := $(WASIBENCH_NAMES:%=$(BUILD)/bench/wasi/%.wasm)
WASIBENCH_NATIVE:= $(WASIBENCH_NAMES:%=$(BUILD)/bench/wasi/%.native)

.PHONY: examples wasi-tests wasi-bench run
examples: $(EXAMPLE_WASM) $(EXAMPLE_NATIVE)
wasi-tests: examples $(WASITEST_WASM) $(WASITEST_NATIVE)
CHECK_DEPS += wasi-tests

# The main job: C source becomes bytecode, and Lodge runs it.
run: $(BUILD)/lodge $(BUILD)/examples/life.wasm
	@echo "== examples/life.c compiled to $(BUILD)/examples/life.wasm; running it on Lodge:"
	$(BUILD)/lodge run $(BUILD)/examples/life.wasm 8

$(BUILD)/examples/%.wasm: examples/%.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -o $@ $< $(WASI_LDFLAGS)

$(BUILD)/examples/%.native: examples/%.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) -O2 $(WASI_WARN) -o $@ $< -lm

$(BUILD)/tests/wasi/%.wasm: tests/wasi/%.c tests/wasi/check.h
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -o $@ $< $(WASI_LDFLAGS)

$(BUILD)/tests/wasi/%.native: tests/wasi/%.c tests/wasi/check.h
	@mkdir -p $(dir $@)
	$(NATIVE_CC) -O2 $(WASI_WARN) -o $@ $< -lm

wasi-bench: $(BUILD)/lodge $(WASIBENCH_WASM) $(WASIBENCH_NATIVE)
	BUILD=$(BUILD) bench/wasi/run.sh

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

wasi-bench: $(BUILD)/bench/wasi/timeit
$(BUILD)/bench/wasi/timeit: bench/wasi/timer/timeit.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) -O2 $(WASI_WARN) -o $@ $<
