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
/* Move the pages of [from, from+size) (one mapping) to `to` (inside another reservation), contents and
 * all, without copying; `from` is left unmapped. */
bool os_mem_move(void *from, size_t size, void *to);
/* Drop the contents of [p, p+size), keeping it accessible: anonymous pages read as zeros again, pages of
 * a private file mapping as the file. */
bool os_mem_reset(void *p, size_t size);

/* Memory images: a file in memory (memfd) holding initial contents, mapped copy-on-write into many
 * reservations; a write touches only the writer's private copy of that page. -1 when the host has none. */
int os_mem_image_create(size_t size);
bool os_mem_image_write(int fd, size_t offset, const void *p, size_t n);
/* Map [0, size) of the image at p (inside a reservation), readable and writable, private. */
bool os_mem_image_map(void *p, size_t size, int fd);
void os_mem_image_close(int fd);

#endif
