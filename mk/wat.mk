# mk/wat.mk: the text-format tools. build/lodge-wast2json converts .wast scripts to wast2json's layout
# (used by the spec runner for the files Debian's wast2json cannot read); tests/wat/run.sh checks it.
all: $(BUILD)/lodge-wast2json

$(BUILD)/lodge-wast2json: $(BUILD)/tools/wast2json/main.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/lodge-wast2json

$(BUILD)/wat-unit-tests: $(BUILD)/tests/wat/unit.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/wat-unit-tests
