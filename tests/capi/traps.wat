(module
  (memory 1)
  (func $inner (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $mid (param i32) (result i32) (call $inner (i32.const 1) (local.get 0)))
  (func (export "outer") (param i32) (result i32) (call $mid (local.get 0)))
  (func (export "boom") unreachable)
  (func (export "oob") (result i32) (i32.load (i32.const 70000)))
  (func $deep (export "deep") (call $deep)))
