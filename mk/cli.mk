# mk/cli.mk: the hypervisor verbs' suite (tests/cli) drives build/lodge against a real daemon with
# clang-built WASI programs: hello (output, exit code), ls (a preopened directory), life (long runs to stop).
CHECK_DEPS += $(BUILD)/examples/hello.wasm $(BUILD)/examples/ls.wasm $(BUILD)/examples/life.wasm
