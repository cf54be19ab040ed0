/* qcow2 images made by Debian's qemu-img, written through Lodge's backend, then judged by qemu-img itself:
 * `qemu-img check` must find no error and no leak, and `qemu-img convert -O raw` must give the bytes the
 * test wrote (over the backing file's). Also: backing chains, the host size limit, what is refused, and
 * corrupted headers and tables in a loop (refused with a message or read safely, never a crash). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysvm/backend/blockfile.h"
#include "test.h"

#define MIB (1u << 20)

static char dir[64];

/* Runs a shell command quietly; its exit status (-1 if it could not run). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[1200];
    snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    int st = system(full);
    return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static const char *at(const char *name)
{
    static char bufs[4][256];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static void cleanup(void)
{
    if (dir[0])
        sh("rm -rf %s", dir);
}

static bool setup(void)
{
    if (dir[0])
        return true;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/lodge-qcow2-XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        dir[0] = 0;
        return false;
    }
    atexit(cleanup);
    if (sh("command -v qemu-img") != 0) {
        fprintf(stderr, "qemu-img is missing (Debian qemu-utils, in tools/debian-packages.txt)\n");
        return false;
    }
    return true;
}

static uint8_t *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static bool write_whole(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* qemu-img check finds neither errors nor leaks (its exit status is 0 only then), and convert -O raw gives
 * exactly `want` (n bytes). */
static bool qemu_agrees(const char *img, const uint8_t *want, size_t n)
{
    if (sh("qemu-img check %s", img) != 0)
        return false;
    if (sh("qemu-img convert -O raw %s out.raw", img) != 0)
        return false;
    size_t len;
    uint8_t *got = read_whole(at("out.raw"), &len);
    bool same = got && len == n && memcmp(got, want, n) == 0;
    free(got);
    return same;
}

/* Writes a mix through the backend, mirrored into `model`: sub-cluster pieces, a run across cluster and L2
 * boundaries, whole clusters, zeroes. */
static bool write_mix(BlockFile *b, uint8_t *model, size_t n, uint32_t seed)
{
    static uint8_t data[4 * MIB];            /* the longest write, starting up to 6000 bytes in */
    fill(data, sizeof data, seed);
    struct { uint64_t off; size_t len; } w[] = {
        {0, 512}, {4096 + 512, 1024}, {65536 - 512, 4096}, {n / 2 - 70000, 200000}, {n - 1024, 1024},
        {3 * 65536, 65536}, {5 * MIB, 3 * MIB - 4096},
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        if (w[i].off + w[i].len > n)
            continue;
        ok &= blockfile_write(b, w[i].off, data + i * 1000, w[i].len);
        memcpy(model + w[i].off, data + i * 1000, w[i].len);
    }
    ok &= blockfile_write_zeroes(b, 2 * 65536, 65536) && blockfile_write_zeroes(b, 4096 + 1024, 100);
    memset(model + 2 * 65536, 0, 65536);
    memset(model + 4096 + 1024, 0, 100);
    uint8_t *back = malloc(n);
    ok &= back && blockfile_read(b, 0, back, n) && memcmp(back, model, n) == 0;
    free(back);
    return ok && blockfile_flush(b);
}

/* The refcount table's offset in an image's header. */
static uint64_t reftable_offset(const char *img)
{
    uint8_t h[56] = {0};
    FILE *f = fopen(at(img), "rb");
    if (f) {
        if (fread(h, 1, sizeof h, f) != sizeof h)
            memset(h, 0, sizeof h);
        fclose(f);
    }
    uint64_t v = 0;
    for (int i = 48; i < 56; i++)
        v = v << 8 | h[i];
    return v;
}

static void write_and_check(const char *create_opts, uint32_t seed, bool reftable_grows)
{
    CHECK(setup());
    size_t n = 16 * MIB;
    CHECK(sh("rm -f t.qcow2 && qemu-img create -f qcow2 %s t.qcow2 16M", create_opts) == 0);
    BlockFile b;
    VmError e = {{0}, VMERR_ARG};
    bool opened = blockfile_open(&b, at("t.qcow2"), false, &e);
    CHECK(opened);
    if (!opened) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    CHECK(b.size == n && b.qcow2);
    uint64_t rt0 = reftable_offset("t.qcow2");
    uint8_t *model = calloc(1, n);
    CHECK(write_mix(&b, model, n, seed));
    if (reftable_grows) {
        /* 8 MiB more: past what the first refcount table of 512-byte clusters covers. */
        fill(model + n / 2, n / 2, seed + 100);
        CHECK(blockfile_write(&b, n / 2, model + n / 2, n / 2) && blockfile_flush(&b));
    }
    blockfile_close(&b);
    CHECK((reftable_offset("t.qcow2") != rt0) == reftable_grows);
    CHECK(qemu_agrees("t.qcow2", model, n));
    /* Open again: what Lodge wrote reads back through Lodge too. */
    CHECK(blockfile_open(&b, at("t.qcow2"), true, NULL));
    uint8_t *back = malloc(n);
    CHECK(blockfile_read(&b, 0, back, n) && memcmp(back, model, n) == 0);
    blockfile_close(&b);
    free(back);
    free(model);
}

static void t_qcow2_v3(void) { write_and_check("", 1, false); }
static void t_qcow2_v2(void) { write_and_check("-o compat=0.10", 2, false); }
/* 512-byte clusters and 16-bit refcounts: a refcount block covers 128 KiB, the first table 8 MiB of file;
 * 1-bit refcounts with 4 KiB clusters: a block covers 128 MiB. */
static void t_qcow2_small_clusters(void) { write_and_check("-o cluster_size=512", 3, true); }
static void t_qcow2_refcount_bits_1(void) { write_and_check("-o cluster_size=4096,refcount_bits=1", 4, false); }
static void t_qcow2_refcount_bits_64(void) { write_and_check("-o refcount_bits=64,cluster_size=2M", 5, false); }

/* Two overlays over one raw base, open together: each sees the base and its own writes only; the base's
 * bytes do not change; the backing path is resolved relative to the overlay's directory. */
static void t_qcow2_backing_raw(void)
{
    CHECK(setup());
    size_t n = 8 * MIB;
    uint8_t *base = malloc(n), *m1 = malloc(n), *m2 = malloc(n);
    fill(base, n, 7);
    CHECK(sh("mkdir -p sub") == 0 && write_whole(at("sub/base.raw"), base, n));
    CHECK(sh("cd sub && rm -f o1.qcow2 o2.qcow2 && qemu-img create -f qcow2 -b base.raw -F raw o1.qcow2 && "
             "qemu-img create -f qcow2 -b base.raw -F raw o2.qcow2") == 0);
    memcpy(m1, base, n);
    memcpy(m2, base, n);
    BlockFile b1, b2;
    CHECK(blockfile_open(&b1, at("sub/o1.qcow2"), false, NULL));
    CHECK(blockfile_open(&b2, at("sub/o2.qcow2"), false, NULL));
    CHECK(b1.size == n);
    CHECK(write_mix(&b1, m1, n, 11));
    CHECK(write_mix(&b2, m2, n, 12));
    uint8_t *back = malloc(n);
    CHECK(blockfile_read(&b1, 0, back, n) && memcmp(back, m1, n) == 0);
    CHECK(blockfile_read(&b2, 0, back, n) && memcmp(back, m2, n) == 0);
    /* A writer of the base itself is kept out while overlays read it. */
    BlockFile w;
    CHECK(!blockfile_open(&w, at("sub/base.raw"), false, NULL));
    blockfile_close(&b1);
    blockfile_close(&b2);
    size_t len;
    uint8_t *after = read_whole(at("sub/base.raw"), &len);
    CHECK(after && len == n && memcmp(after, base, n) == 0);
    CHECK(qemu_agrees("sub/o1.qcow2", m1, n));
    CHECK(qemu_agrees("sub/o2.qcow2", m2, n));
    free(after);
    free(back);
    free(base);
    free(m1);
    free(m2);
}

/* base.qcow2 <- mid.qcow2 (v2) <- top.qcow2, opened from another directory; the base smaller than the disk
 * (reads past it are zeroes). */
static void t_qcow2_backing_chain(void)
{
    CHECK(setup());
    size_t n = 4 * MIB;
    uint8_t *model = calloc(1, n), *data = malloc(MIB);
    fill(data, MIB, 21);
    memcpy(model, data, MIB);
    CHECK(write_whole(at("c.raw"), data, MIB));
    CHECK(sh("mkdir -p chain && rm -f chain/*.qcow2 && qemu-img convert -O qcow2 c.raw chain/base.qcow2 && "
             "cd chain && qemu-img create -f qcow2 -o compat=0.10 -b base.qcow2 -F qcow2 mid.qcow2 4M && "
             "qemu-io -f qcow2 -c 'write -P 0x5a 1536k 64k' mid.qcow2 && "
             "qemu-img create -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2") == 0);
    memset(model + 1536 * 1024, 0x5a, 65536);
    BlockFile b;
    VmError e = {{0}, VMERR_ARG};
    CHECK(blockfile_open(&b, at("chain/top.qcow2"), false, &e));
    uint8_t *back = malloc(n);
    CHECK(blockfile_read(&b, 0, back, n) && memcmp(back, model, n) == 0);
    CHECK(write_mix(&b, model, n, 22));
    blockfile_close(&b);
    CHECK(qemu_agrees("chain/top.qcow2", model, n));
    CHECK(sh("qemu-img check chain/mid.qcow2 && qemu-img check chain/base.qcow2") == 0);
    free(back);
    free(model);
    free(data);
}

/* With max_host_bytes, writes that need clusters past it fail (and are counted); those that do not still
 * work; the image stays clean. */
static void t_qcow2_size_limit(void)
{
    CHECK(setup());
    CHECK(sh("rm -f lim.qcow2 && qemu-img create -f qcow2 lim.qcow2 64M") == 0);
    struct stat st;
    CHECK(stat(at("lim.qcow2"), &st) == 0);
    uint64_t limit = (uint64_t)st.st_size + 1 * MIB;
    BlockFile b;
    BlockOpts o = {.max_host_bytes = limit};
    CHECK(blockfile_open_opts(&b, at("lim.qcow2"), &o, NULL));
    static uint8_t chunk[65536];
    memset(chunk, 0xab, sizeof chunk);
    unsigned ok = 0, refused = 0;
    for (unsigned i = 0; i < 64; i++) {
        if (blockfile_write(&b, (uint64_t)i * sizeof chunk, chunk, sizeof chunk)) ok++;
        else refused++;
    }
    CHECK(ok >= 14 && ok <= 16 && refused == 64 - ok);
    CHECK(blockfile_limit_refusals(&b) == refused);
    CHECK(blockfile_write(&b, 0, chunk, 512));               /* in place: no new cluster */
    CHECK(qcow2_host_bytes(b.qcow2) <= limit);
    blockfile_close(&b);
    CHECK(stat(at("lim.qcow2"), &st) == 0 && (uint64_t)st.st_size <= limit);
    CHECK(sh("qemu-img check lim.qcow2") == 0);
    /* A raw image larger than the limit is refused at open. */
    CHECK(sh("truncate -s 2M lim.raw") == 0);
    o.max_host_bytes = MIB;
    VmError e = {{0}, VMERR_ARG};
    CHECK(!blockfile_open_opts(&b, at("lim.raw"), &o, &e) && strstr(e.msg, "max_host_bytes"));
}

/* What is refused, with the reason. */
static void refused(const char *make, const char *img, bool ro, const char *why)
{
    CHECK(sh("rm -f %s && %s", img, make) == 0);
    BlockFile b;
    VmError e = {{0}, VMERR_ARG};
    bool opened = blockfile_open(&b, at(img), ro, &e);
    CHECK(!opened && strstr(e.msg, why));
    if (opened) {
        fprintf(stderr, "%s: opened, expected a refusal (%s)\n", img, why);
        blockfile_close(&b);
    } else if (!strstr(e.msg, why)) {
        fprintf(stderr, "%s: got \"%s\", expected \"%s\"\n", img, e.msg, why);
    }
}

static void t_qcow2_refusals(void)
{
    CHECK(setup());
    CHECK(sh("yes lodge | head -c 1M > r.raw") == 0);
    refused("qemu-img convert -c -O qcow2 r.raw comp.qcow2", "comp.qcow2", true, "compressed");
    refused("qemu-img create -f qcow2 --object secret,id=s0,data=pw -o encrypt.format=aes,encrypt.key-secret=s0 "
            "enc.qcow2 1M", "enc.qcow2", true, "encrypted");
    refused("qemu-img create -f qcow2 -o extended_l2=on x.qcow2 1M", "x.qcow2", true, "extended L2");
    refused("qemu-img create -f qcow2 s.qcow2 1M && qemu-img snapshot -c s1 s.qcow2", "s.qcow2", false, "snapshot");
    refused("qemu-img create -f qcow2 -b nbd://localhost/x -F raw -u p.qcow2 1M", "p.qcow2", true, "protocol");
    refused("qemu-img create -f qcow2 -b missing.raw -F raw -u m.qcow2 1M", "m.qcow2", true, "missing.raw");
    refused("qemu-img create -f qcow2 -b r.raw -F vmdk -u f.qcow2 1M", "f.qcow2", true, "vmdk");
    /* A snapshot's image opens read-only; the dirty bit (offset 72) keeps writers out. */
    BlockFile b;
    CHECK(blockfile_open(&b, at("s.qcow2"), true, NULL));
    blockfile_close(&b);
    refused("qemu-img create -f qcow2 d.qcow2 1M && printf '\\001' | dd of=d.qcow2 bs=1 seek=79 conv=notrunc",
            "d.qcow2", false, "dirty");
    /* A chain that loops back on itself ends at the depth bound or the lock, with a message either way. */
    refused("qemu-img create -f qcow2 -b l2.qcow2 -F qcow2 -u l1.qcow2 1M && "
            "qemu-img create -f qcow2 -b l1.qcow2 -F qcow2 -u l2.qcow2 1M", "l1.qcow2", true, "backing");
}

/* Corrupted images: random bytes of the header, the L1 and refcount tables, an L2 table and the backing
 * name overwritten, a thousand times. Each open either fails with a message, or gives a disk that can be
 * read and written end to end without a crash (ASan checks the rest). */
static void t_qcow2_corrupt_loop(void)
{
    CHECK(setup());
    CHECK(sh("rm -f fz.qcow2 fzb.raw && head -c 2M /dev/urandom > fzb.raw && "
             "qemu-img create -f qcow2 -o cluster_size=4096 -b fzb.raw -F raw fz.qcow2 2M && "
             "qemu-io -f qcow2 -c 'write -P 7 0 64k' -c 'write -z 128k 8k' fz.qcow2") == 0);
    size_t len;
    uint8_t *good = read_whole(at("fz.qcow2"), &len);
    CHECK(good && len >= 5 * 4096);
    if (!good)
        return;
    uint8_t *img = malloc(len), *buf = malloc(2 * MIB);
    /* LODGE_QCOW2_CORRUPT=N,SEED runs a longer loop by hand. */
    const char *env = getenv("LODGE_QCOW2_CORRUPT");
    unsigned iterations = env ? (unsigned)strtoul(env, NULL, 10) : 1000;
    uint32_t seed = env && strchr(env, ',') ? (uint32_t)strtoul(strchr(env, ',') + 1, NULL, 10) : 12345;
    unsigned opened = 0, refused_n = 0, messages = 0;
    for (unsigned it = 0; it < iterations; it++) {
        memcpy(img, good, len);
        unsigned flips = 1 + it % 4;
        for (unsigned f = 0; f < flips; f++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly the header cluster; then the next clusters, where the tables are. */
            size_t span = (seed >> 8) % 3 == 0 ? (len < 5 * 4096 ? len : 5 * 4096) : 128;
            size_t pos = (seed >> 10) % span;
            img[pos] = (uint8_t)(seed >> 3) ^ (uint8_t)((seed >> 20) % 2 ? 0xff : 1u << ((seed >> 21) % 8));
        }
        if (!write_whole(at("fzc.qcow2"), img, len))
            continue;
        BlockFile b;
        VmError e = {{0}, VMERR_ARG};
        if (!blockfile_open(&b, at("fzc.qcow2"), it % 2 == 1, &e)) {
            refused_n++;
            messages += e.msg[0] != 0;
            continue;
        }
        opened++;
        uint64_t n = b.size < 2 * MIB ? b.size : 2 * MIB;
        blockfile_read(&b, 0, buf, n);
        blockfile_write(&b, 0, buf, n < 65536 ? n : 65536);
        blockfile_write_zeroes(&b, 0, n);
        blockfile_close(&b);
    }
    CHECK(messages == refused_n && opened > 0 && refused_n > 0);
    fprintf(stderr, "corrupt-loop: %u opened, %u refused\n", opened, refused_n);
    free(img);
    free(buf);
    free(good);
}

const TestCase t_qcow2_tests[] = {
    {"qcow2-v3-write-check-convert", t_qcow2_v3},
    {"qcow2-v2-write-check-convert", t_qcow2_v2},
    {"qcow2-512-byte-clusters-reftable-growth", t_qcow2_small_clusters},
    {"qcow2-refcount-bits-1", t_qcow2_refcount_bits_1},
    {"qcow2-refcount-bits-64-2m-clusters", t_qcow2_refcount_bits_64},
    {"qcow2-backing-raw-two-overlays", t_qcow2_backing_raw},
    {"qcow2-backing-chain", t_qcow2_backing_chain},
    {"qcow2-size-limit", t_qcow2_size_limit},
    {"qcow2-refusals", t_qcow2_refusals},
    {"qcow2-corrupt-loop", t_qcow2_corrupt_loop},
    {NULL, NULL},
};
