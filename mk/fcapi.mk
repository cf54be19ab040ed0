# mk/fcapi.mk: a machine process's Firecracker API (src/mgr/fcres.c, fcapi.c, vmproc.c). The unit tests of the
# request checks link fcres.o alone; tests/fcapi/run.sh runs them, then drives build/lodged machine with curl.
$(BUILD)/fcapi-unit-tests: $(BUILD)/tests/fcapi/unit.o $(BUILD)/src/mgr/fcres.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) -lcjson

CHECK_DEPS += $(BUILD)/fcapi-unit-tests
