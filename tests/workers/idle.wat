;; idle.wat: the smallest instance a worker can hold (no memory, no imports): for counting bytes.
(module (func (export "_start")))
