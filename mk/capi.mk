# mk/capi.mk: the standard C API's tests (tests/capi/): C programs written against include/wasm.h,
# linked with liblodge.a, and their modules compiled from .wat with Debian's wabt (wat2wasm).
CAPI_TESTS := $(sort $(basename $(notdir $(wildcard tests/capi/*.c))))
CAPI_WATS  := $(sort $(basename $(notdir $(wildcard tests/capi/*.wat))))
CAPI_BINS  := $(CAPI_TESTS:%=$(BUILD)/tests/capi/%)
CAPI_WASMS := $(CAPI_WATS:%=$(BUILD)/tests/capi/%.wasm)

.PHONY: capi-tests
capi-tests: $(CAPI_BINS) $(CAPI_WASMS)
CHECK_DEPS += capi-tests

$(BUILD)/tests/capi/%: $(BUILD)/tests/capi/%.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

$(CAPI_TESTS:%=$(BUILD)/tests/capi/%.o): tests/capi/check.h include/wasm.h

# Modules named *_names keep their function names (a name section), for the tests of trap frames.
$(BUILD)/tests/capi/%_names.wasm: CAPI_WATFLAGS = --debug-names
$(BUILD)/tests/capi/%.wasm: tests/capi/%.wat | deps
	@mkdir -p $(dir $@)
	wat2wasm $(CAPI_WATFLAGS) -o $@ $<

# tests/capi/oom.c counts and fails allocations through the linker.
$(BUILD)/tests/capi/oom: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
