# mk/cli.mk: the hypervisor verbs' suite (tests/cli) drives build/lodge against a real daemon with a
# clang-built WASI program.
CHECK_DEPS += $(BUILD)/examples/hello.wasm
