(module
  (func $leaf (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $branch (param i32) (result i32) (call $leaf (local.get 0)))
  (func $root (export "entry") (param i32) (result i32) (call $branch (local.get 0))))
