(module
  (import "host" "log" (func $log (param i32)))
  (memory (export "mem") 1)
  (func $start
    (call $log (i32.const 1))
    unreachable)
  (start $start))
