# mk/workers.mk: the worker pool's test program: tests/workers/pool_test.c linked with the pool's objects
# from src/mgr (the pool, its protocol, the jail it starts workers in) and cJSON, as the daemon links them.
# The jail binds the libraries its caller has loaded (it expects lodged to jail lodged): the test loads
# every library lodged needs (--no-as-needed), so the workers it starts find theirs.
WORKERS_TEST_OBJS := $(BUILD)/tests/workers/pool_test.o $(BUILD)/src/mgr/workers.o $(BUILD)/src/mgr/wproto.o \
                     $(BUILD)/src/mgr/jail.o $(BUILD)/src/mgr/jail_child.o $(BUILD)/src/mgr/cgroup.o \
                     $(BUILD)/src/mgr/seccomp.o $(BUILD)/src/mgr/appendf.o

$(BUILD)/tests/workers/pool-test: $(WORKERS_TEST_OBJS) $(BUILD)/liblodge.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(WORKERS_TEST_OBJS) $(BUILD)/liblodge.a -Wl,--no-as-needed $(LDLIBS_ALL) -lcjson -lseccomp

CHECK_DEPS += $(BUILD)/tests/workers/pool-test $(BUILD)/lodged wasi-tests
