/* mem.c: mmap-based reservations (Linux/POSIX). */
#include <sys/mman.h>
#include <unistd.h>

#include "os/mem.h"

size_t os_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 4096;
}

void *os_mem_reserve(size_t size)
{
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

bool os_mem_commit(void *p, size_t size)
{
    return size == 0 || mprotect(p, size, PROT_READ | PROT_WRITE) == 0;
}

bool os_mem_decommit(void *p, size_t size)
{
    if (size == 0)
        return true;
    return mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED;
}

void os_mem_release(void *p, size_t size)
{
    if (p)
        munmap(p, size);
}
