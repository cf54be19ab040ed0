/* Disk image backend over a host file (pread/pwrite/fdatasync/fallocate); qcow2 images go to backend/qcow2.c. */
#include "sysvm/backend/blockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens and locks the file, learns its size; the format is decided by the caller. */
static bool open_file(BlockFile *b, const char *path, bool ro, VmError *err)
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

static bool is_qcow2(BlockFile *b)
{
    uint8_t magic[4];
    return b->size >= sizeof magic && pread(b->fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
           qcow2_probe(magic);
}

static bool open_qcow2(BlockFile *b, const char *path, const BlockOpts *o, unsigned depth, VmError *err)
{
    if (!(b->qcow2 = qcow2_open(b->fd, path, o->ro, o->max_host_bytes, o->alloc, depth, &b->size, err))) {
        close(b->fd);
        b->fd = -1;
        return false;
    }
    return true;
}

bool blockfile_open_opts(BlockFile *b, const char *path, const BlockOpts *o, VmError *err)
{
    if (!open_file(b, path, o->ro, err))
        return false;
    if (is_qcow2(b))
        return open_qcow2(b, path, o, 0, err);
    const char *why = NULL;
    if (b->size < 512)
        why = "is smaller than one sector";
    else if (o->max_host_bytes && b->size > o->max_host_bytes)
        why = "is larger than the disk's max_host_bytes (a raw image takes its whole size)";
    if (why) {
        vmerr_setk(err, VMERR_IO, "disk %s: %llu bytes %s", path, (unsigned long long)b->size, why);
        close(b->fd);
        b->fd = -1;
        return false;
    }
    return true;
}

bool blockfile_open(BlockFile *b, const char *path, bool ro, VmError *err)
{
    BlockOpts o = {.ro = ro};
    return blockfile_open_opts(b, path, &o, err);
}

bool blockfile_open_backing(BlockFile *b, const char *path, const char *format, Alloc *alloc, unsigned depth,
                            VmError *err)
{
    BlockOpts o = {.ro = true, .alloc = alloc};
    if (!open_file(b, path, true, err))
        return false;
    /* A format named in the image is obeyed: a raw base whose guest wrote a qcow2 header stays raw. */
    if (format ? !strcmp(format, "qcow2") : is_qcow2(b))
        return open_qcow2(b, path, &o, depth, err);
    return true;
}

void blockfile_close(BlockFile *b)
{
    if (b->fd < 0)
        return;
    if (b->qcow2) {
        qcow2_close(b->qcow2);
        b->qcow2 = NULL;
    }
    if (!b->ro)
        fsync(b->fd);
    close(b->fd);
    b->fd = -1;
}

bool blockfile_read(BlockFile *b, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    b->reads++;
    if (b->qcow2)
        return qcow2_read(b->qcow2, off, buf, len);
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
    if (b->qcow2)
        return qcow2_write(b->qcow2, off, buf, len);
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
    if (b->qcow2)
        return qcow2_flush(b->qcow2);
    return b->ro || fdatasync(b->fd) == 0;
}

bool blockfile_write_zeroes(BlockFile *b, uint64_t off, uint64_t len)
{
    if (b->ro)
        return false;
    if (b->qcow2)
        return qcow2_write_zeroes(b->qcow2, off, len);
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
    if (b->qcow2)
        return qcow2_write_zeroes(b->qcow2, off, len);   /* clusters stay allocated: see qcow2.c */
    if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return true;
    return blockfile_write_zeroes(b, off, len);   /* discarded blocks must read back as zeroes */
}

uint64_t blockfile_limit_refusals(const BlockFile *b)
{
    return b->qcow2 ? qcow2_limit_refusals(b->qcow2) : 0;
}
