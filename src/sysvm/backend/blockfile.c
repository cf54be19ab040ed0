/* Disk image backend over a host file (pread/pwrite/fdatasync/fallocate). */
#include "sysvm/backend/blockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

bool blockfile_open(BlockFile *b, const char *path, bool ro, VmError *err)
{
    memset(b, 0, sizeof *b);
    b->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (b->fd < 0)
        return vmerr_setk(err, VMERR_IO, "disk %s: %s", path, strerror(errno));
    b->ro = ro;
    struct stat st;
    if (fstat(b->fd, &st) != 0) {
        vmerr_setk(err, VMERR_IO, "disk %s: %s", path, strerror(errno));
        goto fail_fd;
    }
    if (S_ISREG(st.st_mode)) {
        b->size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(b->fd, BLKGETSIZE64, &b->size) != 0) {
            vmerr_setk(err, VMERR_IO, "disk %s: cannot read its size", path);
            goto fail_fd;
        }
    } else {
        vmerr_setk(err, VMERR_IO, "disk %s: not a regular file or block device", path);
        goto fail_fd;
    }
    if (b->size < 512) {
        vmerr_setk(err, VMERR_IO, "disk %s: %llu bytes is smaller than one sector", path, (unsigned long long)b->size);
        goto fail_fd;
    }
    if (flock(b->fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        vmerr_setk(err, VMERR_IO, "disk %s: in use by another process", path);
        goto fail_fd;
    }
    return true;
fail_fd:
    close(b->fd);
    b->fd = -1;
    return false;
}

void blockfile_close(BlockFile *b)
{
    if (b->fd < 0)
        return;
    if (!b->ro)
        fsync(b->fd);
    close(b->fd);
    b->fd = -1;
}

bool blockfile_read(BlockFile *b, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    b->reads++;
    while (len) {
        ssize_t n = pread(b->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) { memset(p, 0, len); return true; }   /* past the end of a sparse file */
        p += n; off += (uint64_t)n; len -= (size_t)n;
    }
    return true;
}

bool blockfile_write(BlockFile *b, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (b->ro)
        return false;
    b->writes++;
    while (len) {
        ssize_t n = pwrite(b->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n; off += (uint64_t)n; len -= (size_t)n;
    }
    return true;
}

bool blockfile_flush(BlockFile *b)
{
    b->flushes++;
    return b->ro || fdatasync(b->fd) == 0;
}

bool blockfile_write_zeroes(BlockFile *b, uint64_t off, uint64_t len)
{
    if (b->ro)
        return false;
    if (fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return true;
    static const uint8_t zero[4096];
    while (len) {
        size_t n = len < sizeof zero ? (size_t)len : sizeof zero;
        if (!blockfile_write(b, off, zero, n))
            return false;
        off += n;
        len -= n;
    }
    return true;
}

bool blockfile_discard(BlockFile *b, uint64_t off, uint64_t len)
{
    if (b->ro)
        return false;
    b->discards++;
    if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return true;
    return blockfile_write_zeroes(b, off, len);   /* discarded blocks must read back as zeroes */
}
