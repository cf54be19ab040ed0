;; sleep.wat: sleeps 300 ms in poll_oneoff (one relative monotonic clock), checks the event, exits 5.
;; Thousands of these asleep at once must hold no host thread.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 42))            ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))            ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))            ;; monotonic
    (i64.store (i32.const 24) (i64.const 300000000))    ;; 300 ms, relative
    (if (i32.ne (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)) (i32.const 0))
      (then (call $exit (i32.const 1))))
    (if (i32.ne (i32.load (i32.const 128)) (i32.const 1)) (then (call $exit (i32.const 2))))
    (if (i64.ne (i64.load (i32.const 64)) (i64.const 42)) (then (call $exit (i32.const 3))))
    (call $exit (i32.const 5))))
