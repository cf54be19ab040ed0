# mk/embed.mk: the embedding tests (tests/embed/): C programs t_*.c written against include/lodge.h only and
# linked with liblodge.a, the WASI guests g_*.c they run (g_reactor as a reactor), and small modules from
# .wat files (Debian's wabt).
EMBED_TESTS  := $(sort $(basename $(notdir $(wildcard tests/embed/t_*.c))))
EMBED_GUESTS := $(sort $(basename $(notdir $(wildcard tests/embed/g_*.c))))
EMBED_WATS   := $(sort $(basename $(notdir $(wildcard tests/embed/*.wat))))
EMBED_BINS   := $(EMBED_TESTS:%=$(BUILD)/tests/embed/%)
EMBED_WASMS  := $(EMBED_GUESTS:%=$(BUILD)/tests/embed/%.wasm) $(EMBED_WATS:%=$(BUILD)/tests/embed/%.wasm)

.PHONY: embed-tests
embed-tests: $(EMBED_BINS) $(EMBED_WASMS)
CHECK_DEPS += embed-tests

$(BUILD)/tests/embed/t_%: $(BUILD)/tests/embed/t_%.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

$(EMBED_TESTS:%=$(BUILD)/tests/embed/%.o): tests/embed/check.h include/lodge.h

$(BUILD)/tests/embed/g_reactor.wasm: EMBED_WASI_FLAGS = -mexec-model=reactor
$(BUILD)/tests/embed/g_%.wasm: tests/embed/g_%.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) $(EMBED_WASI_FLAGS) -o $@ $< $(WASI_LDFLAGS)

$(BUILD)/tests/embed/%.wasm: tests/embed/%.wat | deps
	@mkdir -p $(dir $@)
	wat2wasm -o $@ $<
