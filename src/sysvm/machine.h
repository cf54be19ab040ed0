/* The machine: a RISC-V computer shaped like QEMU's virt board (memory map below), built from a validated
 * MachineConfig, run on the calling thread until the guest powers off, reboots, fails, or is stopped.
 * Other threads control a run through requests (stop, pause) and read its figures from a snapshot the run
 * loop publishes: nothing else of a Machine may be touched from another thread while it runs. */
#ifndef LODGE_SYSVM_MACHINE_H
#define LODGE_SYSVM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sysvm/backend/ratelimit.h"
#include "sysvm/backend/term.h"
#include "sysvm/vmerr.h"

/* The memory map (QEMU virt). Device interrupts are PLIC sources. */
#define MACHINE_TEST_BASE   0x00100000ull
#define MACHINE_RTC_BASE    0x00101000ull
#define MACHINE_CLINT_BASE  0x02000000ull
#define MACHINE_PLIC_BASE   0x0c000000ull
#define MACHINE_UART_BASE   0x10000000ull
#define MACHINE_VIRTIO_BASE 0x10001000ull    /* slot i at base + i * 0x1000, PLIC source 1 + i */
#define MACHINE_VIRTIO_SLOTS 8
#define MACHINE_RAM_BASE    0x80000000ull
#define MACHINE_KERNEL_OFFSET 0x200000ull     /* the kernel's load address: 2 MiB into RAM */
#define MACHINE_UART_IRQ 10
#define MACHINE_RTC_IRQ 11
#define MACHINE_TIMEBASE_HZ 10000000u

#define MACHINE_MAX_HARTS 8
#define MACHINE_MAX_DISKS 4
#define MACHINE_MIN_RAM (16ull << 20)
#define MACHINE_MAX_RAM (64ull << 30)

typedef struct MachineDisk {
    const char *path;                   /* raw or qcow2 (chosen by the file's magic) */
    bool ro;
    uint64_t max_host_bytes;            /* bound on the image file's length; 0: none */
} MachineDisk;

typedef struct MachineConfig {
    uint64_t ram_size;
    unsigned nharts;
    const char *kernel;                 /* Linux Image, or an ELF with physical load addresses */
    const char *initrd;                 /* optional */
    const char *append;                 /* kernel command line */
    const char *bios;                   /* optional M-mode firmware (OpenSBI fw_dynamic.bin); NULL: Lodge's SBI */
    MachineDisk disk[MACHINE_MAX_DISKS];
    unsigned ndisks;
    const char *tap;                    /* tap interface name, or NULL for no network */
    uint8_t mac[6];                     /* virtio-net's MAC; all zero: 52:54:00:12:34:56 */
    TermMode console;
    const char *console_file;
    bool rng, vconsole;                 /* virtio-rng and virtio-console (on by default in the CLI) */
    size_t max_overhead;                /* bytes Lodge may allocate for the machine beyond guest RAM; 0: no limit */
    uint64_t fail_alloc_at;             /* tests: make the machine's Nth allocation fail (Alloc.fail_at); 0: never */
    /* Called on the running thread when a pause request takes effect (paused: no hart runs until the request
     * is withdrawn) and again when the run goes on. May be NULL. */
    void (*on_pause)(void *opaque, bool paused);
    void *hook_opaque;
} MachineConfig;

typedef enum MachineExit {
    MACHINE_EXIT_POWEROFF,              /* the guest powered off */
    MACHINE_EXIT_REBOOT,                /* the guest asked for a reboot */
    MACHINE_EXIT_FAIL,                  /* the guest reported failure (test device code, SRST reason) */
    MACHINE_EXIT_STOPPED,               /* machine_request_stop or the console escape */
    MACHINE_EXIT_HALTED,                /* every hart stopped */
} MachineExit;

typedef struct Machine Machine;

/* Figures of a run, summed over harts and devices; see lodge_machine_stats_t for their meaning. */
typedef struct MachineStats {
    uint64_t instructions, run_ns;
    uint64_t disk_read_bytes, disk_write_bytes, disk_reads, disk_writes;
    uint64_t net_rx_bytes, net_tx_bytes;
    uint64_t traps, interrupts, sbi_calls, mmio_accesses;
    uint64_t console_dropped;
    uint64_t overhead_bytes;            /* Lodge's own allocations for the machine (its Alloc) */
    uint64_t disk_io_errors;            /* disk requests answered VIRTIO_BLK_S_IOERR */
    uint64_t disk_limit_refusals;       /* writes refused because an image reached max_host_bytes */
    uint64_t rate_limited;              /* disk requests and network frames a rate limiter held back */
} MachineStats;

/* Builds the machine: RAM, devices, images loaded, device tree written, harts reset. NULL with a message
 * (bad file, too little memory, missing disk...). */
Machine *machine_new(const MachineConfig *cfg, VmError *err);
/* Flushes disks, restores the terminal, frees everything. */
void machine_delete(Machine *m);
MachineExit machine_run(Machine *m);
/* Any thread, async-signal-safe: end the run at the next slice (MACHINE_EXIT_STOPPED). */
void machine_request_stop(Machine *m);
/* Any thread: ask the guest to power off, by pressing the virtio-input power button (now and every second
 * after, until the run ends). */
void machine_request_shutdown(Machine *m);
/* Any thread: ask the run to pause (cfg.on_pause reports when it has) or to go on. */
void machine_request_pause(Machine *m, bool pause);
/* Any thread, at any time: sets the rate limit of device "disk0".."disk3" (io) or "net0" (rx and tx); NULL
 * removes a limit. Takes effect at the run loop's next I/O poll (at once when it idles), or when the run
 * starts. False with a message for an unknown device or values out of range. */
bool machine_set_rate_limit(Machine *m, const char *device, const RateLimitConfig *io, const RateLimitConfig *rx,
                            const RateLimitConfig *tx, VmError *err);
/* Any thread: the figures the run last published (at most ~1 ms old while it runs; exact once it pauses or
 * ends). */
void machine_stats(Machine *m, MachineStats *out);
/* Any thread: guest RAM size, and how much of it the host has backed with memory. */
uint64_t machine_ram_size(const Machine *m);
uint64_t machine_ram_resident(const Machine *m);
/* TERM_STREAM: the embedder's end of the console socket; -1 otherwise. */
int machine_console_fd(const Machine *m);
/* The failure code of MACHINE_EXIT_FAIL. */
uint32_t machine_fail_code(const Machine *m);
/* Restores the terminal only; async-signal-safe (for fatal-signal handlers). */
void machine_restore_terminal(const Machine *m);
/* Prints count instructions at guest physical addr (0: the kernel entry). False if not in RAM. */
bool machine_disasm(Machine *m, uint64_t addr, unsigned count, FILE *out);
/* Writes the device tree the guest is given to path (inspect it with `dtc -I dtb -O dts`). */
bool machine_write_dtb(const Machine *m, const char *path, VmError *err);
/* --trace: traps, interrupts, device accesses, SBI calls, virtio requests, run-loop figures. */
void machine_print_trace(Machine *m, FILE *out);
/* Prints one line per virtio device that stopped after a driver error (a lying guest), and one per disk whose
 * requests failed on the host side (the image's size limit, a refused qcow2 cluster); returns how many. */
unsigned machine_report_device_errors(const Machine *m, FILE *out);
/* Where the loader put things (for --trace and tests). */
uint64_t machine_kernel_entry(const Machine *m);

#endif
