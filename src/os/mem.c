/* mem.c: mmap-based reservations (Linux/POSIX). */
#include <errno.h>
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

bool os_mem_move(void *from, size_t size, void *to)
{
    return size == 0 || mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to) != MAP_FAILED;
}

bool os_mem_reset(void *p, size_t size)
{
    return size == 0 || madvise(p, size, MADV_DONTNEED) == 0;
}

void os_mem_release(void *p, size_t size)
{
    if (p)
        munmap(p, size);
}

int os_mem_image_create(size_t size)
{
    int fd = memfd_create("lodge-memory-image", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool os_mem_image_write(int fd, size_t offset, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)offset);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        offset += (size_t)w;
        n -= (size_t)w;
    }
    return true;
}

bool os_mem_image_map(void *p, size_t size, int fd)
{
    return size == 0 ||
           mmap(p, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != MAP_FAILED;
}

void os_mem_image_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
