/* libFuzzer target: a hostile qcow2 image. The input is the image file; it is opened (read-only or
 * read-write, as its last byte says) and, if accepted, read, written, zeroed and flushed at offsets the input
 * also chooses. Nothing may crash, leak or touch memory it does not own (ASan, UBSan), and every loop must
 * end. The run script seeds the corpus with images made by qemu-img. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sysvm/backend/blockfile.h"
#include "sysvm/backend/qcow2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > (1u << 20))
        return 0;
    int fd = memfd_create("qcow2-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    bool ro = data[size - 1] & 1;
    uint64_t vsize;
    VmError err;
    /* A relative backing name resolves against the current directory: at worst a read-only open. */
    Qcow2 *q = qcow2_open(fd, "fuzz.qcow2", ro, 4u << 20, NULL, 0, &vsize, &err);
    if (q) {
        uint64_t n = vsize < sizeof buf ? vsize : sizeof buf;
        qcow2_read(q, 0, buf, n);
        /* Offsets from the input's tail, inside the disk. */
        for (unsigned i = 0; i < 4 && vsize; i++) {
            uint64_t off = 0;
            for (unsigned b = 0; b < 8; b++)
                off = off << 8 | data[(size - 2 - i * 8 - b) % size];
            off %= vsize;
            uint64_t len = (vsize - off) < 70000 ? vsize - off : 70000;
            if (i & 1)
                qcow2_write(q, off, buf, len);
            else
                qcow2_read(q, off, buf, len);
        }
        qcow2_write_zeroes(q, 0, vsize < (1u << 18) ? vsize : 1u << 18);
        qcow2_flush(q);
        qcow2_close(q);
    }
    close(fd);
    return 0;
}
