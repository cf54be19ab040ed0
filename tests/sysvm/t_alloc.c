/* The machine's accounted allocations: each allocation of machine creation is made to fail in turn, and
 * every failure must be a clean "out of memory" error that leaks neither memory (the ASan build's leak check
 * sees it) nor file descriptors; an overhead budget too small for the machine is refused the same way. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysvm/machine.h"
#include "test.h"

static unsigned count_fds(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A minimal RISC-V Linux Image: the 64-byte header with its magic, and a few instructions. */
static bool write_image(const char *path)
{
    uint8_t img[4096] = {0};
    img[0] = 0x6f;                              /* j . (an endless loop: it never runs here) */
    memcpy(img + 56, "RSC\x05", 4);
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(img, 1, sizeof img, f) == sizeof img;
    return (fclose(f) == 0) && ok;
}

static bool write_zeroes(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = true;
    static const uint8_t z[4096];
    for (size_t i = 0; i < n && ok; i += sizeof z)
        ok = fwrite(z, 1, sizeof z, f) == sizeof z;
    return (fclose(f) == 0) && ok;
}

static void test_alloc_fail_each(void)
{
    char dir[] = "/tmp/lodge-alloc-XXXXXX", kernel[64], initrd[64], disk[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(kernel, sizeof kernel, "%s/Image", dir);
    snprintf(initrd, sizeof initrd, "%s/initrd", dir);
    snprintf(disk, sizeof disk, "%s/disk", dir);
    CHECK(write_image(kernel) && write_zeroes(initrd, 8192) && write_zeroes(disk, 65536));
    MachineConfig cfg = {.ram_size = 32ull << 20, .nharts = 2, .kernel = kernel, .initrd = initrd,
                         .append = "console=ttyS0", .ndisks = 1, .console = TERM_STREAM, .rng = true,
                         .vconsole = true};
    cfg.disk[0] = (MachineDisk){.path = disk, .ro = false};
    unsigned fds = count_fds();
    /* Without failures first: how many allocations a machine makes. */
    VmError err = {{0}, VMERR_ARG};
    Machine *m = machine_new(&cfg, &err);
    CHECK(m != NULL);
    MachineStats s;
    machine_stats(m, &s);
    CHECK(s.overhead_bytes > 0);
    machine_delete(m);
    CHECK(count_fds() == fds);
    unsigned failures = 0;
    for (uint64_t k = 1; k < 1000; k++) {
        cfg.fail_alloc_at = k;
        err = (VmError){{0}, VMERR_ARG};
        m = machine_new(&cfg, &err);
        if (m) {                                /* k is past the last allocation: creation is complete */
            machine_delete(m);
            break;
        }
        failures++;
        CHECK(err.kind == VMERR_NOMEM);
        CHECK(strstr(err.msg, "out of memory") != NULL);
        CHECK(count_fds() == fds);
    }
    CHECK(failures >= 5);                       /* machine, harts, code caches, device tree... */
    printf("  machine creation: each of its %u allocations failed in turn, cleanly\n", failures);
    /* A budget below what the machine needs. */
    cfg.fail_alloc_at = 0;
    cfg.max_overhead = 4096;
    err = (VmError){{0}, VMERR_ARG};
    CHECK(machine_new(&cfg, &err) == NULL && err.kind == VMERR_NOMEM && strstr(err.msg, "overhead limit"));
    cfg.max_overhead = s.overhead_bytes + 65536;   /* what it keeps, and room for building the device tree */
    m = machine_new(&cfg, &err);
    CHECK(m != NULL);
    machine_delete(m);
    CHECK(count_fds() == fds);
    unlink(kernel);
    unlink(initrd);
    unlink(disk);
    rmdir(dir);
}

const TestCase t_alloc_tests[] = {
    {"machine-alloc-fail-each", test_alloc_fail_each},
    {NULL, NULL},
};
