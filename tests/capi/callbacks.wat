(module
  (import "host" "fail" (func $fail (param i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (func (export "call_fail") (param i32) (call $fail (local.get 0)))
  (func (export "call_reenter") (param i32) (result i32) (i32.add (call $reenter (local.get 0)) (i32.const 1000)))
  (func (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "div0") (result i32) (i32.div_u (i32.const 1) (i32.const 0))))
