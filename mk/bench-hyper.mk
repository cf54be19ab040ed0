# mk/bench-hyper.mk: `make bench-hyper`: machines and the daemon under load (bench/hyper/): machine start-up
# through lodge.h and the daemon, idle Linux guests' host CPU, instance requests per second, latency beside
# hostile neighbours. Not part of `make check`: timings belong to a quiet machine, not to the test suite.
BENCH_HYPER := $(BUILD)/bench/hyper/mbench $(BUILD)/bench/hyper/dbench

.PHONY: bench-hyper
bench-hyper: $(BENCH_HYPER) $(BUILD)/lodge $(BUILD)/lodged $(BUILD)/tests/hostile/hconsole
	BUILD=$(BUILD) bench/hyper/run.sh

$(BUILD)/bench/hyper/mbench: $(BUILD)/bench/hyper/mbench.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

$(BUILD)/bench/hyper/dbench: $(BUILD)/bench/hyper/dbench.o
	$(CC) $(LDFLAGS) -o $@ $<
