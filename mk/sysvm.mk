# mk/sysvm.mk: the machine side of the system VM: unit tests (tests/sysvm/*.c), the libFuzzer targets
# (tests/fuzz/sysvm_*.c, built with clang into build-fuzz/), and `make guest` for the default guest.
SYSVM_TEST_SRCS := $(sort $(wildcard tests/sysvm/*.c))
SYSVM_TEST_OBJS := $(SYSVM_TEST_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/sysvm-tests: $(SYSVM_TEST_OBJS) $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $(SYSVM_TEST_OBJS) $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/sysvm-tests

# The fuzz targets link the few sources they exercise straight from src/, so they need no liblodge.a.
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -Iinclude -Isrc
SYSVM_FUZZ_SRCS = src/base/alloc.c src/sysvm/guestmem.c src/sysvm/vmerr.c src/sysvm/fdt.c src/sysvm/virtio/queue.c \
                  src/sysvm/virtio/device.c src/sysvm/virtio/mmio.c src/sysvm/virtio/blk.c \
                  src/sysvm/backend/blockfile.c src/sysvm/backend/qcow2.c src/sysvm/backend/ratelimit.c \
                  src/sysvm/backend/host.c

build-fuzz/sysvm-fuzz-%: tests/fuzz/sysvm_%.c $(SYSVM_FUZZ_SRCS)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(SYSVM_FUZZ_SRCS)

.PHONY: sysvm-fuzz guest
sysvm-fuzz: build-fuzz/sysvm-fuzz-virtq build-fuzz/sysvm-fuzz-fdt build-fuzz/sysvm-fuzz-qcow2

# The default RISC-V guest (kernel, initramfs, disk) in guests/cache/; cached, so a second run is instant.
guest:
	guests/build.sh

# Boot-to-ready, a CPU-bound guest command and memory, side by side with qemu-system-riscv64 (not in `make check`).
.PHONY: bench-sysvm
bench-sysvm: $(BUILD)/lodge
	BUILD=$(BUILD) bench/sysvm/run.sh
