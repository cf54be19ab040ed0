# mk/spec.mk: rules of the spec conformance suite (tests/spec/). runner.c uses the WAT parser when
# src/wat/wat.h exists (__has_include), so its object is rebuilt when that header appears or changes.
$(BUILD)/tests/spec/runner.o: $(wildcard src/wat/wat.h)

# The spec suite converts the .wast files Debian's wast2json cannot read with lodge-wast2json (mk/wat.mk).
ifneq ($(wildcard tools/wast2json/main.c),)
spec: $(BUILD)/lodge-wast2json
endif
