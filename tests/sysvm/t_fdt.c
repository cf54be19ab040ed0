/* The device-tree writer and checker, and the machine's own tree. */
#include <stdlib.h>
#include <string.h>

#include "sysvm/devtree.h"
#include "sysvm/fdt.h"
#include "test.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void t_writer_roundtrip(void)
{
    Fdt f;
    fdt_init(&f, NULL);
    fdt_begin_node(&f, "");
    fdt_prop_u32(&f, "#address-cells", 2);
    fdt_prop_str(&f, "model", "unit");
    fdt_begin_node(&f, "a");
    fdt_prop_u64(&f, "big", 0x1122334455667788ull);
    fdt_prop_empty(&f, "flag");
    fdt_begin_node(&f, "b@10");
    fdt_prop_strs(&f, "compatible", "x,y\0z", 6);
    uint32_t cells[3] = {1, 2, 3};
    fdt_prop_cells(&f, "cells", cells, 3);
    fdt_end_node(&f);
    fdt_end_node(&f);
    fdt_begin_node(&f, "model");      /* a node named like a property */
    fdt_prop_str(&f, "model", "inner");
    fdt_end_node(&f);
    fdt_end_node(&f);
    size_t len;
    VmError err;
    uint8_t *blob = fdt_finish(&f, &len, &err);
    fdt_free(&f);
    CHECK(blob != NULL);
    if (!blob) return;
    CHECK(be32(blob) == FDT_MAGIC && be32(blob + 4) == len && be32(blob + 20) == 17);
    CHECK(fdt_check(blob, len, &err));
    uint32_t pl;
    const uint8_t *p = fdt_get_prop(blob, len, "/", "#address-cells", &pl);
    CHECK(p && pl == 4 && be32(p) == 2);
    p = fdt_get_prop(blob, len, "/", "model", &pl);
    CHECK(p && pl == 5 && !memcmp(p, "unit", 5));
    p = fdt_get_prop(blob, len, "/model", "model", &pl);
    CHECK(p && !memcmp(p, "inner", 6));
    p = fdt_get_prop(blob, len, "/a", "big", &pl);
    CHECK(p && pl == 8 && be32(p) == 0x11223344 && be32(p + 4) == 0x55667788);
    p = fdt_get_prop(blob, len, "/a", "flag", &pl);
    CHECK(p && pl == 0);
    p = fdt_get_prop(blob, len, "/a/b@10", "cells", &pl);
    CHECK(p && pl == 12 && be32(p + 8) == 3);
    CHECK(fdt_get_prop(blob, len, "/a/b@10", "compatible", &pl) && pl == 6);
    CHECK(!fdt_get_prop(blob, len, "/a/b", "cells", &pl));          /* names match exactly */
    CHECK(!fdt_get_prop(blob, len, "/b@10", "cells", &pl));         /* not at the root */
    CHECK(!fdt_get_prop(blob, len, "/a", "nothing", &pl));
    /* property names are shared in the strings block */
    CHECK(be32(blob + 32) == strlen("#address-cells model big flag compatible cells") + 1);
    free(blob);
}

static void t_writer_misuse(void)
{
    Fdt f;
    size_t len;
    VmError err;
    fdt_init(&f, NULL);
    fdt_begin_node(&f, "");
    CHECK(fdt_finish(&f, &len, &err) == NULL);          /* unclosed */
    fdt_free(&f);
    fdt_init(&f, NULL);
    fdt_end_node(&f);
    CHECK(fdt_finish(&f, &len, &err) == NULL);          /* end without begin */
    fdt_free(&f);
    fdt_init(&f, NULL);
    fdt_prop_u32(&f, "x", 1);
    CHECK(fdt_finish(&f, &len, &err) == NULL);          /* property outside a node */
    fdt_free(&f);
    fdt_init(&f, NULL);
    CHECK(fdt_finish(&f, &len, &err) == NULL);          /* empty */
    fdt_free(&f);
    fdt_init(&f, NULL);
    for (int i = 0; i < FDT_MAX_DEPTH + 2; i++) fdt_begin_node(&f, i ? "n" : "");
    for (int i = 0; i < FDT_MAX_DEPTH + 2; i++) fdt_end_node(&f);
    CHECK(fdt_finish(&f, &len, &err) == NULL && strstr(err.msg, "deep"));
    fdt_free(&f);
}

static uint8_t *machine_tree(unsigned nharts, size_t *len)
{
    static const uint8_t seed[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    DevtreeInfo in = {.ram_base = 0x80000000, .ram_size = 256u << 20, .nharts = nharts,
                      .bootargs = "console=ttyS0", .initrd_start = 0x8f000000, .initrd_end = 0x8f100000,
                      .nvirtio = 3, .rng_seed = seed, .rng_seed_len = 8};
    return devtree_build(&in, len, NULL);
}

static void t_machine_tree(void)
{
    size_t len;
    uint8_t *blob = machine_tree(2, &len);
    CHECK(blob && fdt_check(blob, len, NULL));
    if (!blob) return;
    uint32_t pl;
    const uint8_t *p = fdt_get_prop(blob, len, "/chosen", "bootargs", &pl);
    CHECK(p && !strcmp((const char *)p, "console=ttyS0"));
    p = fdt_get_prop(blob, len, "/chosen", "linux,initrd-end", &pl);
    CHECK(p && pl == 8 && be32(p + 4) == 0x8f100000);
    p = fdt_get_prop(blob, len, "/memory@80000000", "reg", &pl);
    CHECK(p && pl == 16 && be32(p + 4) == 0x80000000 && be32(p + 12) == 256u << 20);
    p = fdt_get_prop(blob, len, "/cpus/cpu@1", "reg", &pl);
    CHECK(p && be32(p) == 1);
    CHECK(!fdt_get_prop(blob, len, "/cpus/cpu@2", "reg", &pl));
    p = fdt_get_prop(blob, len, "/cpus", "timebase-frequency", &pl);
    CHECK(p && be32(p) == 10000000);
    /* PLIC contexts: per hart M external (11) then S external (9), each pointing at that hart's intc */
    p = fdt_get_prop(blob, len, "/soc/plic@c000000", "interrupts-extended", &pl);
    CHECK(p && pl == 32 && be32(p + 4) == 11 && be32(p + 12) == 9 && be32(p + 16) != be32(p));
    const uint8_t *ph = fdt_get_prop(blob, len, "/cpus/cpu@1/interrupt-controller", "phandle", &pl);
    CHECK(ph && p && be32(ph) == be32(p + 16));
    p = fdt_get_prop(blob, len, "/soc/virtio_mmio@10003000", "interrupts", &pl);
    CHECK(p && be32(p) == 3);
    CHECK(!fdt_get_prop(blob, len, "/soc/virtio_mmio@10004000", "interrupts", &pl));
    CHECK(fdt_get_prop(blob, len, "/soc/serial@10000000", "interrupts", &pl));
    CHECK(fdt_get_prop(blob, len, "/poweroff", "regmap", &pl));
    free(blob);
}

/* The checker must reject every truncation and never read outside the blob (ASan watches this). */
static void t_checker_hostile(void)
{
    size_t len;
    uint8_t *blob = machine_tree(1, &len);
    if (!blob) { CHECK(blob); return; }
    int rejected = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, blob, n);
        if (!fdt_check(copy, n, NULL)) rejected++;
        free(copy);
    }
    CHECK(rejected == (int)len);
    /* corrupt single fields of the header */
    static const unsigned offs[] = {0, 4, 8, 12, 16, 32, 36};   /* not 20: any version >= 17 is fine */
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, blob, len);
        copy[offs[i]] ^= 0x80;
        CHECK(!fdt_check(copy, len, NULL));
        free(copy);
    }
    /* every single-byte change is either accepted or rejected cleanly */
    uint8_t *copy = malloc(len);
    for (size_t i = 0; i < len; i += 3) {
        memcpy(copy, blob, len);
        copy[i] = (uint8_t)(copy[i] + 0x41);
        if (fdt_check(copy, len, NULL)) {
            uint32_t pl;
            fdt_get_prop(copy, len, "/soc/serial@10000000", "reg", &pl);
        }
    }
    free(copy);
    free(blob);
}

const TestCase t_fdt_tests[] = {
    {"fdt_writer_roundtrip", t_writer_roundtrip},
    {"fdt_writer_misuse", t_writer_misuse},
    {"devtree_machine_tree", t_machine_tree},
    {"fdt_checker_hostile", t_checker_hostile},
    {NULL, NULL},
};
