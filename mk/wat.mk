# mk/wat.mk: the text-format tools. build/lodge-wast2json converts .wast scripts to wast2json's layout
# (used by the spec runner for the files Debian's wast2json cannot read); tests/wat/run.sh checks it.
all: $(BUILD)/lodge-wast2json

$(BUILD)/lodge-wast2json: $(BUILD)/tools/wast2json/main.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/lodge-wast2json

$(BUILD)/wat-unit-tests: $(BUILD)/tests/wat/unit.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/wat-unit-tests

# libFuzzer target for the text front end (clang; tests/wat/run.sh builds and runs it briefly when it can).
WAT_FUZZ_SRCS := $(sort $(filter src/wat/% src/base/%,$(LIB_SRCS)))
build-fuzz/wat-fuzz: tests/wat/wat_fuzz.c $(WAT_FUZZ_SRCS) $(wildcard src/wat/*.h) src/wasm/opcodes.def
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Iinclude -Isrc -o $@ tests/wat/wat_fuzz.c $(WAT_FUZZ_SRCS) -lm -lpthread
