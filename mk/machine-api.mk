# mk/machine-api.mk: tests/machine-api/, C programs written against lodge.h alone that boot the default guest
# through the public system-VM API (lodge_machine_*).
MACHINE_API_TEST_SRCS := $(sort $(wildcard tests/machine-api/*.c))
MACHINE_API_TEST_OBJS := $(MACHINE_API_TEST_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/machine-api-tests: $(MACHINE_API_TEST_OBJS) $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $(MACHINE_API_TEST_OBJS) $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/machine-api-tests
