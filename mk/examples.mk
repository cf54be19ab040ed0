# mk/examples.mk: examples/*.c compiled to WASI bytecode in $(BUILD)/examples/*.wasm (and natively, for
# the tests that compare), and `make run`, the main job: C source becomes bytecode and Lodge runs it.
# Debian's clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 are all it needs: the sysroot is /usr.
WASI_CC      ?= clang
WASI_WARN     = -Wall -Wextra -Werror
WASI_CFLAGS   = --target=wasm32-wasi --sysroot=/usr -O2 $(WASI_WARN)
WASI_LDFLAGS  = -Wl,--strip-debug
NATIVE_CC    ?= cc

EXAMPLE_NAMES  := $(sort $(basename $(notdir $(wildcard examples/*.c))))
EXAMPLE_WASM   := $(EXAMPLE_NAMES:%=$(BUILD)/examples/%.wasm)
EXAMPLE_NATIVE := $(EXAMPLE_NAMES:%=$(BUILD)/examples/%.native)

.PHONY: examples run
examples: $(EXAMPLE_WASM) $(EXAMPLE_NATIVE)

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
