;; oob.wat: guard-page traps for the signal tests: `oob` loads 16 bytes below 4 GiB, far past the one-page
;; memory, inside the reservation (a SIGSEGV Lodge claims); `unreachable` traps without any signal;
;; `inb` stores and loads in bounds; `deep` calls the host function host::deep (which the tests make
;; recurse on the host stack).
(module
  (import "host" "deep" (func $deep))
  (memory 1)
  (func (export "oob") (result i32)
    (i32.load (i32.const -16)))
  (func (export "unreachable") (result i32)
    (unreachable))
  (func (export "inb") (param i32) (result i32)
    (i32.store (i32.const 64) (local.get 0))
    (i32.load (i32.const 64)))
  (func (export "deep")
    (call $deep)))
