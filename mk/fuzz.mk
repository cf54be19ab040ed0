# mk/fuzz.mk: `make fuzz` builds every libFuzzer target tests/fuzz/<name>_fuzz.c into build-fuzz/<name>-fuzz
# (the process-VM sources compiled straight into it with clang and the fuzz flags), and build-fuzz/wasm-mutate,
# the deterministic mutation test that drives the wasm target's entry point without libFuzzer.
# tests/fuzz/run.sh builds and runs them. (tests/fuzz/sysvm_*.c are the system VM's, built by mk/sysvm.mk.)
FUZZ_DIR        = build-fuzz
WASM_FUZZ_CC   ?= clang
WASM_FUZZ_SAN   = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
WASM_FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter $(WASM_FUZZ_SAN) \
                  -Iinclude -Isrc -MMD -MP
WASM_FUZZ_SRCS := $(sort $(filter src/base/% src/os/% src/wasm/%,$(LIB_SRCS)))
WASM_FUZZ_OBJS := $(WASM_FUZZ_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_TARGETS   := $(patsubst tests/fuzz/%_fuzz.c,$(FUZZ_DIR)/%-fuzz,$(wildcard tests/fuzz/*_fuzz.c))

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS) $(FUZZ_DIR)/wasm-mutate

# Library objects carry coverage instrumentation for libFuzzer (fuzzer-no-link) as well as the sanitizers.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(WASM_FUZZ_CC) $(WASM_FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/%-fuzz: $(FUZZ_DIR)/obj/tests/fuzz/%_fuzz.o $(WASM_FUZZ_OBJS)
	$(WASM_FUZZ_CC) $(WASM_FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lm -lpthread

$(FUZZ_DIR)/wasm-mutate: $(FUZZ_DIR)/obj/tests/fuzz/wasm_mutate.o $(FUZZ_DIR)/obj/tests/fuzz/wasm_fuzz.o \
                         $(WASM_FUZZ_OBJS)
	$(WASM_FUZZ_CC) $(WASM_FUZZ_SAN) -fsanitize=fuzzer-no-link -o $@ $^ -lm -lpthread

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
