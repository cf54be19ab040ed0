# bench.mk: `make bench` builds each bench/*.c program twice, as a wasm module exporting run and as a
# native executable from the same C, then runs bench/run.sh to time them side by side.
# Not part of `make check`: timings belong to a quiet machine, not to the test suite.
BENCH_CC      ?= clang
BENCH_SRCS    := $(sort $(wildcard bench/*.c))
BENCH_NAMES   := $(BENCH_SRCS:bench/%.c=%)
BENCH_WASM    := $(BENCH_NAMES:%=$(BUILD)/bench/%.wasm)
BENCH_NATIVE  := $(BENCH_NAMES:%=$(BUILD)/bench/%.native)
BENCH_WARN     = -Wall -Wextra -Werror
BENCH_WFLAGS   = --target=wasm32 -O2 -ffreestanding -nostdlib $(BENCH_WARN) \
                 -Wl,--no-entry -Wl,--export=run -Wl,--strip-all
BENCH_NFLAGS   = -O2 $(BENCH_WARN)

.PHONY: bench bench-build
bench-build: $(BENCH_WASM) $(BENCH_NATIVE)

# `make bench BENCH_PROGRAMS="fib sort"` times only those; run.sh's settings (WASM3, RUNS, METRIC, ...)
# pass through the environment or the make command line.
BENCH_PROGRAMS ?=
bench: $(BUILD)/lodge bench-build
	BUILD=$(BUILD) bench/run.sh $(BENCH_PROGRAMS)

$(BUILD)/bench/%.wasm: bench/%.c bench/bench.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  WASM    $@")
	$(Q)$(BENCH_CC) $(BENCH_WFLAGS) -o $@ $<

$(BUILD)/bench/%.native: bench/%.c bench/driver/native.c bench/bench.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NATIVE  $@")
	$(Q)$(BENCH_CC) $(BENCH_NFLAGS) -o $@ $< bench/driver/native.c -lm
