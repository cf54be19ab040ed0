(module
  (memory (export "mem") 1 2)
  (global (export "counter") (mut i32) (i32.const 0))
  (table (export "tab") 1 funcref)
  (func $inc (export "inc") (result i32)
    (global.set 0 (i32.add (global.get 0) (i32.const 1)))
    (global.get 0))
  (elem (i32.const 0) $inc)
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))
