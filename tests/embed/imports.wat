;; imports.wat: a module whose imports are not all WASI: lodge_wasi_instantiate must name env::clock.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "clock" (func (result i64)))
  (memory (export "memory") 1)
  (func (export "_start")))
