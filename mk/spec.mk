# mk/spec.mk: rules of the spec conformance suite (tests/spec/). The top Makefile links
# $(BUILD)/spec-runner from runner.o; its other objects are added here.
$(BUILD)/spec-runner: $(patsubst %.c,$(BUILD)/%.o,$(filter-out tests/spec/runner.c,$(wildcard tests/spec/*.c)))

# runner.c uses the WAT parser when src/wat/wat.h exists (__has_include), so its object is rebuilt when
# that header appears or changes.
$(BUILD)/tests/spec/runner.o: $(wildcard src/wat/wat.h)

# The spec suite converts the .wast files Debian's wast2json cannot read with lodge-wast2json (mk/wat.mk).
ifneq ($(wildcard tools/wast2json/main.c),)
spec: $(BUILD)/lodge-wast2json
endif
