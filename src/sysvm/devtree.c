/* Writes the machine's device tree with fdt.c: CPUs and their interrupt controllers, memory, CLINT, PLIC,
 * UART, the test device with syscon-poweroff/-reboot, the goldfish RTC and the virtio-mmio slots in use. */
#include "sysvm/devtree.h"

#include <stdio.h>
#include <stdlib.h>

#include "sysvm/dev/clint.h"
#include "sysvm/dev/plic.h"
#include "sysvm/dev/rtc.h"
#include "sysvm/dev/syscon.h"
#include "sysvm/dev/uart.h"
#include "sysvm/fdt.h"
#include "sysvm/machine.h"
#include "sysvm/virtio/mmio.h"

#define STRS(s) s, sizeof s

static void reg(Fdt *f, uint64_t base, uint64_t size)
{
    uint32_t c[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32), (uint32_t)size};
    fdt_prop_cells(f, "reg", c, 4);
}

static void begin_at(Fdt *f, const char *kind, uint64_t addr)
{
    char name[64];
    snprintf(name, sizeof name, "%s@%llx", kind, (unsigned long long)addr);
    fdt_begin_node(f, name);
}

uint8_t *devtree_build(const DevtreeInfo *in, size_t *len, VmError *err)
{
    Fdt f;
    fdt_init(&f, in->alloc);
    uint32_t intc[MACHINE_MAX_HARTS];
    unsigned n = in->nharts > MACHINE_MAX_HARTS ? MACHINE_MAX_HARTS : in->nharts;
    for (unsigned h = 0; h < n; h++)
        intc[h] = fdt_alloc_phandle(&f);
    uint32_t plic = fdt_alloc_phandle(&f), test = fdt_alloc_phandle(&f);

    fdt_begin_node(&f, "");
    fdt_prop_u32(&f, "#address-cells", 2);
    fdt_prop_u32(&f, "#size-cells", 2);
    fdt_prop_str(&f, "compatible", "riscv-virtio");
    fdt_prop_str(&f, "model", "lodge,virt");

    fdt_begin_node(&f, "chosen");
    if (in->bootargs)
        fdt_prop_str(&f, "bootargs", in->bootargs);
    fdt_prop_str(&f, "stdout-path", "/soc/serial@10000000");
    if (in->initrd_end > in->initrd_start) {
        fdt_prop_u64(&f, "linux,initrd-start", in->initrd_start);
        fdt_prop_u64(&f, "linux,initrd-end", in->initrd_end);
    }
    if (in->rng_seed_len)
        fdt_prop(&f, "rng-seed", in->rng_seed, in->rng_seed_len);
    fdt_end_node(&f);

    begin_at(&f, "memory", in->ram_base);
    fdt_prop_str(&f, "device_type", "memory");
    reg(&f, in->ram_base, in->ram_size);
    fdt_end_node(&f);

    fdt_begin_node(&f, "cpus");
    fdt_prop_u32(&f, "#address-cells", 1);
    fdt_prop_u32(&f, "#size-cells", 0);
    fdt_prop_u32(&f, "timebase-frequency", MACHINE_TIMEBASE_HZ);
    for (unsigned h = 0; h < n; h++) {
        begin_at(&f, "cpu", h);
        fdt_prop_str(&f, "device_type", "cpu");
        fdt_prop_u32(&f, "reg", h);
        fdt_prop_str(&f, "status", "okay");
        fdt_prop_str(&f, "compatible", "riscv");
        fdt_prop_str(&f, "riscv,isa", "rv64imafdc_zicsr_zifencei");
        fdt_prop_str(&f, "mmu-type", "riscv,sv48");
        fdt_begin_node(&f, "interrupt-controller");
        fdt_prop_u32(&f, "#address-cells", 0);
        fdt_prop_u32(&f, "#interrupt-cells", 1);
        fdt_prop_empty(&f, "interrupt-controller");
        fdt_prop_str(&f, "compatible", "riscv,cpu-intc");
        fdt_prop_u32(&f, "phandle", intc[h]);
        fdt_end_node(&f);
        fdt_end_node(&f);
    }
    fdt_end_node(&f);

    /* syscon-poweroff and syscon-reboot sit at the root, as on QEMU's board. */
    fdt_begin_node(&f, "poweroff");
    fdt_prop_str(&f, "compatible", "syscon-poweroff");
    fdt_prop_u32(&f, "regmap", test);
    fdt_prop_u32(&f, "offset", 0);
    fdt_prop_u32(&f, "value", SYSCON_POWEROFF);
    fdt_end_node(&f);
    fdt_begin_node(&f, "reboot");
    fdt_prop_str(&f, "compatible", "syscon-reboot");
    fdt_prop_u32(&f, "regmap", test);
    fdt_prop_u32(&f, "offset", 0);
    fdt_prop_u32(&f, "value", SYSCON_REBOOT);
    fdt_end_node(&f);

    fdt_begin_node(&f, "soc");
    fdt_prop_u32(&f, "#address-cells", 2);
    fdt_prop_u32(&f, "#size-cells", 2);
    fdt_prop_str(&f, "compatible", "simple-bus");
    fdt_prop_empty(&f, "ranges");

    begin_at(&f, "test", MACHINE_TEST_BASE);
    fdt_prop_strs(&f, "compatible", STRS("sifive,test1\0sifive,test0\0syscon"));
    reg(&f, MACHINE_TEST_BASE, SYSCON_SIZE);
    fdt_prop_u32(&f, "phandle", test);
    fdt_end_node(&f);

    begin_at(&f, "rtc", MACHINE_RTC_BASE);
    fdt_prop_str(&f, "compatible", "google,goldfish-rtc");
    reg(&f, MACHINE_RTC_BASE, RTC_SIZE);
    fdt_prop_u32(&f, "interrupt-parent", plic);
    fdt_prop_u32(&f, "interrupts", MACHINE_RTC_IRQ);
    fdt_end_node(&f);

    uint32_t ext[4 * MACHINE_MAX_HARTS];
    begin_at(&f, "clint", MACHINE_CLINT_BASE);
    fdt_prop_strs(&f, "compatible", STRS("sifive,clint0\0riscv,clint0"));
    reg(&f, MACHINE_CLINT_BASE, CLINT_SIZE);
    for (unsigned h = 0; h < n; h++) {
        uint32_t e[4] = {intc[h], 3, intc[h], 7};      /* M software, M timer */
        for (int i = 0; i < 4; i++) ext[4 * h + i] = e[i];
    }
    fdt_prop_cells(&f, "interrupts-extended", ext, 4 * n);
    fdt_end_node(&f);

    begin_at(&f, "plic", MACHINE_PLIC_BASE);
    fdt_prop_strs(&f, "compatible", STRS("sifive,plic-1.0.0\0riscv,plic0"));
    reg(&f, MACHINE_PLIC_BASE, PLIC_SIZE);
    fdt_prop_u32(&f, "#address-cells", 0);
    fdt_prop_u32(&f, "#interrupt-cells", 1);
    fdt_prop_empty(&f, "interrupt-controller");
    fdt_prop_u32(&f, "riscv,ndev", PLIC_NUM_SOURCES - 1);
    for (unsigned h = 0; h < n; h++) {
        uint32_t e[4] = {intc[h], 11, intc[h], 9};     /* context 2h: M external, 2h+1: S external */
        for (int i = 0; i < 4; i++) ext[4 * h + i] = e[i];
    }
    fdt_prop_cells(&f, "interrupts-extended", ext, 4 * n);
    fdt_prop_u32(&f, "phandle", plic);
    fdt_end_node(&f);

    begin_at(&f, "serial", MACHINE_UART_BASE);
    fdt_prop_str(&f, "compatible", "ns16550a");
    reg(&f, MACHINE_UART_BASE, UART_SIZE);
    fdt_prop_u32(&f, "clock-frequency", 3686400);
    fdt_prop_u32(&f, "interrupt-parent", plic);
    fdt_prop_u32(&f, "interrupts", MACHINE_UART_IRQ);
    fdt_end_node(&f);

    for (unsigned i = 0; i < in->nvirtio && i < MACHINE_VIRTIO_SLOTS; i++) {
        uint64_t base = MACHINE_VIRTIO_BASE + i * VIRTIO_MMIO_SIZE;
        begin_at(&f, "virtio_mmio", base);
        fdt_prop_str(&f, "compatible", "virtio,mmio");
        reg(&f, base, VIRTIO_MMIO_SIZE);
        fdt_prop_u32(&f, "interrupt-parent", plic);
        fdt_prop_u32(&f, "interrupts", 1 + i);
        fdt_end_node(&f);
    }
    fdt_end_node(&f);      /* soc */
    fdt_end_node(&f);      /* root */

    uint8_t *blob = fdt_finish(&f, len, err);
    fdt_free(&f);
    return blob;
}
