;; loop.wat: a guest that never ends (a hostile neighbour: it must not starve the others).
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
