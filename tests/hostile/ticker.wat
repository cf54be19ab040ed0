;; ticker.wat: a well-behaved guest: writes "tick\n" 20 times, sleeping 100 ms in poll_oneoff between, then
;; returns from _start (exit code 0). Its output shows it kept running while hostile neighbours ran.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "tick\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 512))           ;; iovec: "tick\n"
    (i32.store (i32.const 4) (i32.const 5))
    (i32.store8 (i32.const 72) (i32.const 0))           ;; subscription at 64: tag clock
    (i32.store (i32.const 80) (i32.const 1))            ;; monotonic
    (i64.store (i32.const 88) (i64.const 100000000))    ;; 100 ms, relative
    (loop $l
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 192)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 20))))))
