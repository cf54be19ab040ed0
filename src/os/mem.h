/* mem.h: virtual memory for linear memories and code: reserve, commit, protect, release. */
#ifndef LODGE_OS_MEM_H
#define LODGE_OS_MEM_H

#include <stdbool.h>
#include <stddef.h>

size_t os_page_size(void);
/* Reserve `size` bytes of address space, inaccessible. NULL on failure. */
void *os_mem_reserve(size_t size);
/* Make [p, p+size) readable and writable (zero-filled on first touch). */
bool os_mem_commit(void *p, size_t size);
/* Return [p, p+size) to the reserved, inaccessible state and drop its contents. */
bool os_mem_decommit(void *p, size_t size);
void os_mem_release(void *p, size_t size);

#endif
