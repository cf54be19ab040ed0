/* libFuzzer target for the device-tree code: arbitrary blobs through the checker and the property lookup,
 * and arbitrary writer call sequences, whose output (when the writer accepts them) the checker must accept. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sysvm/fdt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_sequence(const uint8_t *p, size_t n)
{
    static const char *const names[] = {"", "a", "cpu@0", "soc", "x,y", "#size-cells", "reg", "model"};
    Fdt f;
    fdt_init(&f, NULL);
    for (size_t i = 0; i + 1 < n && i < 2048; i += 2) {
        const char *name = names[p[i + 1] & 7];
        switch (p[i] & 7) {
        case 0: case 1: fdt_begin_node(&f, name); break;
        case 2: fdt_end_node(&f); break;
        case 3: fdt_prop_u32(&f, name, p[i + 1]); break;
        case 4: fdt_prop_str(&f, name, name); break;
        case 5: fdt_prop(&f, name, p, (size_t)(p[i + 1] & 31) < n ? (size_t)(p[i + 1] & 31) : 0); break;
        case 6: fdt_prop_empty(&f, name); break;
        default: fdt_prop_u64(&f, name, (uint64_t)p[i + 1] << 40); break;
        }
    }
    size_t len;
    uint8_t *blob = fdt_finish(&f, &len, NULL);
    fdt_free(&f);
    if (blob) {
        if (!fdt_check(blob, len, NULL))
            __builtin_trap();          /* the writer produced something its own checker rejects */
        uint32_t pl;
        fdt_get_prop(blob, len, "/a", "reg", &pl);
        free(blob);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        write_sequence(data + 1, size - 1);
        return 0;
    }
    /* A copy of exactly the input's size, so any overread is an ASan report. */
    uint8_t *blob = malloc(size - 1 ? size - 1 : 1);
    memcpy(blob, data + 1, size - 1);
    if (fdt_check(blob, size - 1, NULL)) {
        uint32_t pl;
        fdt_get_prop(blob, size - 1, "/", "model", &pl);
        fdt_get_prop(blob, size - 1, "/soc/serial@10000000", "reg", &pl);
        fdt_get_prop(blob, size - 1, "/a/b/c", "x", &pl);
    }
    free(blob);
    return 0;
}
