# mk/hostile.mk: tests/hostile/, hostile guests beside well-behaved ones through a real daemon; hconsole types
# at a machine's console through the daemon (also used by bench/hyper's neighbours part).
$(BUILD)/tests/hostile/hconsole: $(BUILD)/tests/hostile/hconsole.o
	$(CC) $(LDFLAGS) -o $@ $<

CHECK_DEPS += $(BUILD)/tests/hostile/hconsole $(BUILD)/lodged
