# mk/oom.mk: the allocation-failure sweep (tests/oom/): a C program against the internal API, linked
# with the linker's --wrap of malloc, calloc and realloc so that any one allocation can be made to fail.
OOM_SWEEP := $(BUILD)/tests/oom/sweep

.PHONY: oom-tests
oom-tests: $(OOM_SWEEP) examples
CHECK_DEPS += oom-tests

$(OOM_SWEEP): $(BUILD)/tests/oom/sweep.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)
