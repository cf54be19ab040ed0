;; pollfd.wat: poll_oneoff on a clock and on fd 0 (closed in a worker): WASI's own implementation answers
;; (the scheduler hands it over); exits with the fd event's error code (EBADF, 8) when userdata matches.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))            ;; sub 0: monotonic clock, 5 s
    (i64.store (i32.const 24) (i64.const 5000000000))
    (i64.store (i32.const 48) (i64.const 7))            ;; sub 1: userdata 7, fd_read on fd 0
    (i32.store8 (i32.const 56) (i32.const 1))
    (i32.store (i32.const 64) (i32.const 0))
    (if (i32.ne (call $poll (i32.const 0) (i32.const 128) (i32.const 2) (i32.const 256)) (i32.const 0))
      (then (call $exit (i32.const 1))))
    (if (i64.ne (i64.load (i32.const 128)) (i64.const 7)) (then (call $exit (i32.const 2))))
    (call $exit (i32.load16_u (i32.const 136)))))
