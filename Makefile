# Lodge: one Makefile. `make` builds build/lodge and build/liblodge.a; `make test` runs every suite,
# then the same suites again under ASan+UBSan (in build-san/).
CC      ?= cc
BUILD   ?= build
SAN     ?=
OPT     ?= -O2
WARN     = -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# -ffp-contract=off: WebAssembly rounds every float operation; the compiler must not fuse a*b+c into an FMA.
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -ffp-contract=off -fvisibility=hidden -Iinclude -Isrc -MMD -MP $(CFLAGS)
LDLIBS_ALL = -lm -lpthread $(LDLIBS)
ifneq ($(SAN),)
CFLAGS_ALL += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SAN)
endif

# src/mgr (the hypervisor) is not part of liblodge.a: it is an embedder of lodge.h, linked into build/lodged
# with the libraries it uses (cJSON, libseccomp), while the runtime core stays dependency-free.
LIB_SRCS  := $(shell find src -name '*.c' -not -path 'src/cli/*' -not -path 'src/mgr/*' | sort)
MGR_SRCS  := $(shell find src/mgr -name '*.c' 2>/dev/null | sort)
MGR_OBJS  := $(MGR_SRCS:%.c=$(BUILD)/%.o)
CLI_SRCS  := $(sort $(wildcard src/cli/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)

.PHONY: all test check spec unit bench clean fuzz guest deps run
all: $(BUILD)/lodge $(BUILD)/liblodge.a $(if $(MGR_SRCS),$(BUILD)/lodged)

V ?= 0
ifeq ($(V),0)
Q = @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/liblodge.a: $(LIB_OBJS)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(BUILD)/lodge: $(CLI_OBJS) $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/liblodge.a $(LDLIBS_ALL)

# The hypervisor: daemon, machine processes, the client verbs. Dynamically linked (Debian ships cJSON as a
# shared library only).
$(BUILD)/lodged: $(MGR_OBJS) $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $(MGR_OBJS) $(BUILD)/liblodge.a $(LDLIBS_ALL) -lcjson -lseccomp

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(BUILD)/liblodge.a $(LDLIBS_ALL)

$(BUILD)/spec-runner: $(BUILD)/tests/spec/runner.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/liblodge.a $(LDLIBS_ALL) -lcjson

-include mk/*.mk

# Every suite, once in this build; the summary line is "N passed, N failed".
check: all $(BUILD)/unit-tests $(BUILD)/spec-runner $(CHECK_DEPS)
	BUILD=$(BUILD) tests/run-suites.sh

# Debian packages the build, the examples and the tests need (tools/debian-packages.txt), when missing.
deps:
	@tools/install-deps.sh

# The README's first command: `make run` (mk/wasi.mk) builds and runs an example: the compiler for the
# bytecode comes from Debian, so compiling any example first makes sure the packages are there.
$(EXAMPLE_WASM): | deps

# The default guest is built (or found cached) first: every suite that boots Linux (sysvm, machine-api,
# mgr, cli, jail, ...) then finds it, whatever order the suites run in.
test: deps
	guests/build.sh
	$(MAKE) all CC=clang BUILD=build-clang
	$(MAKE) check
	$(MAKE) check BUILD=build-san SAN=address,undefined OPT=-O1

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

spec: $(BUILD)/spec-runner
	BUILD=$(BUILD) tests/spec/run.sh

clean:
	rm -rf build build-san build-fuzz build-clang build-nocheck build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
