# mk/bench-mgr.mk: `make bench-mgr`: how fast new guests start and how many idle ones fit, through lodge.h
# (bench/mgr/). Not part of `make check`: timings belong to a quiet machine, not to the test suite.
BENCH_MGR      := $(BUILD)/bench/mgr/instbench
BENCH_MGR_WASM := $(BUILD)/examples/hello.wasm $(BUILD)/examples/life.wasm $(BUILD)/bench/mgr/bigdata.wasm

.PHONY: bench-mgr
bench-mgr: $(BENCH_MGR) $(BENCH_MGR_WASM)
	BUILD=$(BUILD) bench/mgr/run.sh

$(BENCH_MGR): $(BUILD)/bench/mgr/instbench.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

$(BUILD)/bench/mgr/%.wasm: bench/mgr/%.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -o $@ $< $(WASI_LDFLAGS)
