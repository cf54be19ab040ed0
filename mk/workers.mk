# mk/workers.mk: the worker pool's test program: tests/workers/pool_test.c linked with the pool's objects
# from src/mgr (the pool and its protocol) and cJSON, as the daemon links them.
WORKERS_TEST_OBJS := $(BUILD)/tests/workers/pool_test.o $(BUILD)/src/mgr/workers.o $(BUILD)/src/mgr/wproto.o

$(BUILD)/tests/workers/pool-test: $(WORKERS_TEST_OBJS) $(BUILD)/liblodge.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(WORKERS_TEST_OBJS) $(BUILD)/liblodge.a $(LDLIBS_ALL) -lcjson

CHECK_DEPS += $(BUILD)/tests/workers/pool-test $(BUILD)/lodged wasi-tests
