;; badwasi.wat: a WASI import whose name preview1 does not have: UNLINKABLE, naming it.
(module
  (import "wasi_snapshot_preview1" "no_such_call" (func (param i32)))
  (memory (export "memory") 1))
