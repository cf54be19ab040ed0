;; startloop.wat: a start function that never returns: it runs at create, so the worker must cut it off.
(module
  (memory (export "memory") 1)
  (func $forever (loop $l (br $l)))
  (start $forever)
  (func (export "_start")))
