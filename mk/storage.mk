# mk/storage.mk: the boot driver of the storage tests (tests/sysvm/storage.sh, run by tests/sysvm/run.sh): a
# program written against lodge.h that boots a guest with a size-limited disk and changes its rate limit
# while it runs.
$(BUILD)/sysvm-storage-boot: $(BUILD)/tests/sysvm/storage/boot.o $(BUILD)/liblodge.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/liblodge.a $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/sysvm-storage-boot
